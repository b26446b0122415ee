import { existsSync } from 'node:fs';
import { ZOO_CATALOG, cachePath, pullZooModel, zooEntry } from '@tachyon-serve/core';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printJson, printLine } from '../output.js';

export async function runZooList(options: { json?: boolean }, globals: GlobalOptions): Promise<void> {
  const { sources } = await createCliContext(globals);
  const rows = ZOO_CATALOG.map((e) => ({
    id: e.id,
    sizeMB: Number((e.size / 1e6).toFixed(1)),
    preset: e.preset,
    output: e.outputKind,
    top1: e.accuracy?.top1 ?? null,
    cached: existsSync(cachePath(e, sources)),
    downloadable: e.url !== undefined,
  }));
  if (options.json) {
    for (const row of rows) printJson(row);
    return;
  }
  printLine(
    `${'id'.padEnd(20)} ${'MB'.padStart(7)}  ${'preset'.padEnd(14)} ${'output'.padEnd(13)} ${'top-1'.padStart(5)}  where`,
  );
  for (const r of rows) {
    const where = r.cached ? 'cache' : r.downloadable ? 'url' : 'mirror only';
    printLine(
      `${r.id.padEnd(20)} ${r.sizeMB.toFixed(1).padStart(7)}  ${r.preset.padEnd(14)} ${r.output.padEnd(13)} ${(r.top1?.toFixed(1) ?? '-').padStart(5)}  ${where}`,
    );
  }
}

export async function runZooPull(id: string, options: { json?: boolean }, globals: GlobalOptions): Promise<void> {
  const { sources } = await createCliContext(globals);
  const entry = zooEntry(id);
  const resolved = await pullZooModel(entry, sources);
  if (options.json)
    printJson({ id, path: resolved.path, source: resolved.source, sha256: entry.sha256, size: entry.size });
  else printLine(`${id}: ${resolved.path} (from ${resolved.source}, sha256 verified)`);
}
