import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import { downloadVerified } from './download.js';
import type { ModelSources } from './model-sources.js';
import { sha256File } from './sha256-file.js';
import type { ZooEntry } from './zoo-entry.js';

export type ModelSourceKind = 'cache' | 'mirror' | 'url';

export interface ResolvedModel {
  path: string;
  source: ModelSourceKind;
}

export interface ResolveAttempt {
  source: ModelSourceKind;
  location: string;
  reason: string;
}

/** The cache file of an entry; `<file>.sha256` beside it records that its bytes were verified. */
export function cachePath(entry: ZooEntry, sources: ModelSources): string {
  return join(sources.cacheDir, 'models', entry.fileName);
}

/**
 * Finds a verified copy of a zoo model: the local cache, then each mirror folder (by file name or `<id>.onnx`),
 * then the entry's URL (download into the cache). Every copy is checked against the catalog's size and sha256.
 */
export async function resolveZooModel(entry: ZooEntry, sources: ModelSources): Promise<ResolvedModel> {
  const attempts: ResolveAttempt[] = [];
  const cached = cachePath(entry, sources);
  const cacheReason = await checkCached(entry, cached);
  if (cacheReason === undefined) return { path: cached, source: 'cache' };
  attempts.push({ source: 'cache', location: cached, reason: cacheReason });

  for (const dir of sources.modelPath) {
    for (const name of new Set([entry.fileName, `${entry.id}.onnx`])) {
      const candidate = join(dir, name);
      if (!existsSync(candidate)) continue;
      const reason = await verify(entry, candidate);
      if (reason === undefined) return { path: candidate, source: 'mirror' };
      attempts.push({ source: 'mirror', location: candidate, reason });
    }
  }
  if (sources.modelPath.length === 0)
    attempts.push({ source: 'mirror', location: '(none configured)', reason: 'no mirror folders' });
  else if (!attempts.some((a) => a.source === 'mirror')) {
    attempts.push({
      source: 'mirror',
      location: sources.modelPath.join(', '),
      reason: `no "${entry.fileName}" in any mirror`,
    });
  }

  if (entry.url === undefined) {
    attempts.push({ source: 'url', location: '(none)', reason: 'the catalog has no download URL for this model' });
  } else if (!sources.allowDownload) {
    attempts.push({ source: 'url', location: entry.url, reason: 'downloads are disabled' });
  } else {
    try {
      await mkdir(join(sources.cacheDir, 'models'), { recursive: true });
      await downloadVerified({
        id: entry.id,
        url: entry.url,
        dest: cached,
        sha256: entry.sha256,
        size: entry.size,
        retries: sources.retries,
        onProgress: sources.onProgress,
      });
      await writeFile(`${cached}.sha256`, `${entry.sha256}\n`);
      return { path: cached, source: 'url' };
    } catch (error) {
      attempts.push({ source: 'url', location: entry.url, reason: describe(error) });
    }
  }
  throw new TachyonError(
    'TCH_ERR_ZOO_FETCH_FAILED',
    `Model "${entry.id}" could not be found: ${attempts.map((a) => `${a.source} ${a.location}: ${a.reason}`).join('; ')}.`,
    { details: { id: entry.id, attempts } },
  );
}

/** Like resolveZooModel, but a copy found in a mirror is also copied into the cache (what `tachyon zoo pull` does). */
export async function pullZooModel(entry: ZooEntry, sources: ModelSources): Promise<ResolvedModel> {
  const resolved = await resolveZooModel(entry, sources);
  if (resolved.source !== 'mirror') return resolved;
  const dest = cachePath(entry, sources);
  await mkdir(join(sources.cacheDir, 'models'), { recursive: true });
  await copyFile(resolved.path, `${dest}.part`);
  await rename(`${dest}.part`, dest);
  await writeFile(`${dest}.sha256`, `${entry.sha256}\n`);
  return { path: dest, source: 'mirror' };
}

async function checkCached(entry: ZooEntry, path: string): Promise<string | undefined> {
  if (!existsSync(path)) return 'not cached';
  const marker = await readFile(`${path}.sha256`, 'utf8').catch(() => '');
  const size = (await stat(path)).size;
  if (marker.trim() === entry.sha256 && size === entry.size) return undefined;
  // A file without a valid marker (copied in by hand, or interrupted) is verified once.
  const reason = await verify(entry, path);
  if (reason === undefined) await writeFile(`${path}.sha256`, `${entry.sha256}\n`);
  return reason;
}

async function verify(entry: ZooEntry, path: string): Promise<string | undefined> {
  const size = (await stat(path)).size;
  if (size !== entry.size) return `size mismatch (expected ${entry.size} bytes, got ${size})`;
  const actual = await sha256File(path);
  return actual === entry.sha256 ? undefined : `sha256 mismatch (expected ${entry.sha256}, got ${actual})`;
}

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}
