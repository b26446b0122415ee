import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import { MANIFEST_FILE } from './create-service-zip.js';
import type { ServiceManifest } from './manifest.js';
import { unpackServiceZip } from './unpack-service-zip.js';
import { compileZipLimits, type ZipLimits } from './zip-limits.js';

export interface ExtractedServiceZip {
  manifest: ServiceManifest;
  /** Absolute path of the folder holding service.json and the files. */
  dir: string;
  /** Every file of `manifest.files`: its path in the zip -> its absolute path on disk, verified. */
  files: Map<string, string>;
}

/**
 * Extracts a service-definition zip into `destDir` (created; it must not exist or be empty), after and while
 * checking it: no entry named with '..', an absolute path, a drive letter or a backslash, no symlink or special
 * file, no duplicate name, exactly the files service.json lists (TCH_ERR_SVCDEF_UNSAFE_ARCHIVE); the caps of
 * `limits` on declared and real sizes (TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE); every file's sha256 and size
 * (TCH_ERR_SVCDEF_CHECKSUM_MISMATCH); service.json by both validation passes (TCH_ERR_SVCDEF_INVALID,
 * TCH_ERR_SVCDEF_UNSUPPORTED_VERSION). Files are created exclusively ('wx'), so nothing is overwritten and nothing is
 * written outside `destDir`. On any failure what was extracted is removed (and `destDir` too when this call made it).
 */
export async function extractServiceZip(
  zipPath: string,
  destDir: string,
  limits?: ZipLimits,
): Promise<ExtractedServiceZip> {
  if (typeof zipPath !== 'string' || zipPath === '') throw new TypeError('zipPath must be a non-empty string.');
  if (typeof destDir !== 'string' || destDir === '') throw new TypeError('destDir must be a non-empty string.');
  const config = compileZipLimits(limits);
  const dir = resolve(destDir);
  const created = await prepareDir(dir);
  const files = new Map<string, string>();
  try {
    const { manifest, manifestBytes } = await unpackServiceZip(zipPath, config, async (file) => {
      const target = insideDir(dir, file.path);
      await mkdir(dirname(target), { recursive: true });
      files.set(file.path, target);
      return createWriteStream(target, { flags: 'wx', mode: 0o644 });
    });
    await writeFile(join(dir, MANIFEST_FILE), manifestBytes, { flag: 'wx', mode: 0o644 });
    return { manifest, dir, files };
  } catch (err) {
    if (created) await rm(dir, { recursive: true, force: true });
    else await Promise.all((await readdir(dir)).map((name) => rm(join(dir, name), { recursive: true, force: true })));
    throw err;
  }
}

/** Creates `dir` (true) or accepts it empty (false); anything else is a misuse. */
async function prepareDir(dir: string): Promise<boolean> {
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new RangeError(`destDir '${dir}' is a file, not a folder.`);
    throw err;
  }
  if (entries.length > 0) throw new RangeError(`destDir '${dir}' must not exist or be empty.`);
  return false;
}

/** The path of a zip file under `dir`; entry names were checked already, this is the belt to those braces. */
function insideDir(dir: string, path: string): string {
  const target = resolve(dir, ...path.split('/'));
  const rel = relative(dir, target);
  if (rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new TachyonError(
      'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE',
      `The zip entry '${path}' would be written outside the extraction folder.`,
      {
        details: { issues: [{ path, message: `'${path}' resolves outside the extraction folder` }] },
      },
    );
  }
  return target;
}
