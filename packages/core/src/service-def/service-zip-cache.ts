import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import { sha256File } from '../zoo/sha256-file.js';
import { MANIFEST_FILE } from './create-service-zip.js';
import { extractServiceZip, type ExtractedServiceZip } from './extract-service-zip.js';
import { validateManifestSchema } from './validate-manifest-schema.js';
import { validateManifestSemantics } from './validate-manifest-semantics.js';
import { compileZipLimits, type ZipLimits } from './zip-limits.js';

export interface ServiceZipCacheOptions {
  /** Cache root; definitions go to `<cacheDir>/svcdef/<sha256 of the zip>/`. @default $TACHYON_CACHE_DIR, else ~/.cache/tachyon */
  cacheDir?: string;
  /** Caps for the extraction. @default ZIP_LIMITS_DEFAULTS */
  limits?: ZipLimits;
  /** Environment to read TACHYON_CACHE_DIR from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface CachedServiceZip extends ExtractedServiceZip {
  /** sha256 of the zip: the cache key. */
  sha256: string;
  /** True when an earlier extraction was reused. */
  cached: boolean;
}

/**
 * The loader's path to a service definition: extracts the zip once into a private cache folder keyed by the zip's
 * sha256 and returns file paths onnxruntime can open. A new extraction goes to a `.partial-*` folder beside the
 * final one and is renamed into place, so the final folder only ever holds a complete, verified extraction. A
 * cache hit re-validates its service.json and checks every file's size (not its sha256: the folder is private and
 * was verified when written); a damaged hit is removed and extracted again.
 */
export async function extractServiceZipToCache(
  zipPath: string,
  options: ServiceZipCacheOptions = {},
): Promise<CachedServiceZip> {
  if (typeof zipPath !== 'string' || zipPath === '') throw new TypeError('zipPath must be a non-empty string.');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const limits = compileZipLimits(options.limits);
  const env = options.env ?? process.env;
  const root = join(
    resolve(options.cacheDir ?? env['TACHYON_CACHE_DIR'] ?? join(homedir(), '.cache', 'tachyon')),
    'svcdef',
  );
  let sha256: string;
  try {
    sha256 = await sha256File(zipPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `The zip '${zipPath}' does not exist.`, { cause: err });
    }
    throw err;
  }
  const final = join(root, sha256);
  const hit = await loadExtracted(final);
  if (hit !== undefined) return { ...hit, sha256, cached: true };
  await rm(final, { recursive: true, force: true });

  await mkdir(root, { recursive: true, mode: 0o700 });
  const partial = join(root, `.partial-${sha256.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
  await extractServiceZip(zipPath, partial, limits);
  try {
    await rename(partial, final);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // Another process finished the same extraction first: use theirs.
    const theirs = await loadExtracted(final);
    if (theirs === undefined) throw err;
    return { ...theirs, sha256, cached: true };
  }
  const done = await loadExtracted(final);
  if (done === undefined) throw new Error(`The extraction at '${final}' vanished after it was written.`);
  return { ...done, sha256, cached: false };
}

/** A complete extraction at `dir`, or undefined when there is none or it does not hold up. */
async function loadExtracted(dir: string): Promise<ExtractedServiceZip | undefined> {
  try {
    const manifest = validateManifestSemantics(
      validateManifestSchema(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'))),
    );
    const files = new Map<string, string>();
    for (const file of manifest.files) {
      const path = join(dir, ...file.path.split('/'));
      const info = await stat(path);
      if (!info.isFile() || info.size !== file.size) return undefined;
      files.set(file.path, path);
    }
    return { manifest, dir, files };
  } catch {
    return undefined;
  }
}
