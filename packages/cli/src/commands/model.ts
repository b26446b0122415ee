import { basename } from 'node:path';
import {
  locateWorkspaceConfig,
  openRegistry,
  parseModelRef,
  parseTagAssignment,
  type ModelRegistry,
  type ModelVersionRecord,
} from '@tachyon-serve/core';
import type { GlobalOptions } from '../main.js';
import { createProgressPrinter, printJson, printLine } from '../output.js';

async function withRegistry<T>(globals: GlobalOptions, fn: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(locateWorkspaceConfig(globals.workspace));
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

function toMap(assignments: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((assignments ?? []).map(parseTagAssignment));
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e5 ? 3 : 1)} MB`;
const summary = (r: ModelVersionRecord) => ({ name: r.name, version: r.version, sha256: r.sha256, size: r.size });
const tagText = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export interface ModelRegisterOptions {
  name: string;
  description?: string;
  tag?: string[];
  property?: string[];
  json?: boolean;
}

export async function runModelRegister(
  file: string,
  options: ModelRegisterOptions,
  globals: GlobalOptions,
): Promise<void> {
  const tags = toMap(options.tag);
  const properties = toMap(options.property);
  const progress = createProgressPrinter();
  const record = await withRegistry(globals, (registry) =>
    registry.register(file, options.name, {
      ...(options.description === undefined ? {} : { description: options.description }),
      tags,
      properties,
      ...(progress === undefined
        ? {}
        : { onProgress: (p: { received: number; total: number }) => progress({ id: basename(file), ...p }) }),
    }),
  );
  if (options.json) printJson(summary(record));
  else
    printLine(
      `registered ${record.name}:${record.version} (${record.kind}, ${megabytes(record.size)}, sha256 ${record.sha256})`,
    );
}

export interface ModelListOptions {
  name?: string;
  tag?: string;
  json?: boolean;
}

export async function runModelList(options: ModelListOptions, globals: GlobalOptions): Promise<void> {
  let tag: { key: string; value?: string } | undefined;
  if (options.tag !== undefined) {
    const eq = options.tag.indexOf('=');
    tag = eq === -1 ? { key: options.tag } : { key: options.tag.slice(0, eq), value: options.tag.slice(eq + 1) };
  }
  const records = await withRegistry(globals, (registry) =>
    registry.list({
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(tag === undefined ? {} : { tag }),
    }),
  );
  if (options.json) {
    printJson(records.map((r) => ({ ...summary(r), kind: r.kind, createdAt: r.createdAt, tags: r.tags })));
    return;
  }
  if (records.length === 0) {
    printLine('no registered models');
    return;
  }
  const width = Math.max(4, ...records.map((r) => `${r.name}:${r.version}`.length));
  printLine(`${'MODEL'.padEnd(width)}  ${'KIND'.padEnd(18)}  ${'SIZE'.padStart(10)}  ${'CREATED'.padEnd(20)}  TAGS`);
  for (const r of records) {
    printLine(
      `${`${r.name}:${r.version}`.padEnd(width)}  ${r.kind.padEnd(18)}  ${megabytes(r.size).padStart(10)}  ${r.createdAt.slice(0, 19).replace('T', ' ').padEnd(20)}  ${tagText(r.tags)}`,
    );
  }
}

export async function runModelShow(ref: string, options: { json?: boolean }, globals: GlobalOptions): Promise<void> {
  const { record, deployments, path } = await withRegistry(globals, async (registry) => {
    const found = await registry.get(ref);
    return {
      record: found,
      deployments: await registry.store.deploymentRefs(found.name, found.version),
      path: registry.artifactPath(found),
    };
  });
  if (options.json) {
    printJson({ ...record, deployments: deployments.map((d) => d.deployment), artifactPath: path });
    return;
  }
  printLine(`${record.name}:${record.version}`);
  printLine(`  kind:        ${record.kind}`);
  printLine(`  size:        ${record.size} bytes (${megabytes(record.size)})`);
  printLine(`  sha256:      ${record.sha256}`);
  printLine(`  created:     ${record.createdAt}`);
  printLine(`  description: ${record.description ?? ''}`);
  printLine(`  tags:        ${tagText(record.tags)}`);
  printLine(`  properties:  ${tagText(record.properties)}`);
  printLine(`  deployments: ${deployments.map((d) => d.deployment).join(', ')}`);
  printLine(`  artifact:    ${path}`);
}

export async function runModelDownload(
  ref: string,
  options: { out: string; json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const progress = createProgressPrinter();
  const { path, record } = await withRegistry(globals, (registry) =>
    registry.download(
      ref,
      options.out,
      progress === undefined ? {} : { onProgress: (p) => progress({ id: ref, ...p }) },
    ),
  );
  if (options.json) printJson({ ...summary(record), path });
  else printLine(`${record.name}:${record.version} -> ${path} (${megabytes(record.size)}, sha256 verified)`);
}

export async function runModelDelete(
  ref: string,
  options: { force?: boolean; json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  parseModelRef(ref);
  const deleted = await withRegistry(globals, (registry) =>
    registry.delete(ref, undefined, { force: options.force === true }),
  );
  if (options.json) printJson({ deleted: deleted.map(summary) });
  else for (const r of deleted) printLine(`deleted ${r.name}:${r.version}`);
}

export async function runModelTag(
  ref: string,
  assignments: string[],
  options: { remove?: string[]; json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const set = toMap(assignments);
  const record = await withRegistry(globals, (registry) => registry.tag(ref, undefined, set, options.remove ?? []));
  if (options.json) printJson(record);
  else printLine(`${record.name}:${record.version} tags: ${tagText(record.tags) || '(none)'}`);
}
