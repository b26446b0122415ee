import { createHash, randomBytes } from 'node:crypto';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import type { BlobStore, CopyProgress } from './blob-store.js';
import { openWritableFile, storageError, syncDirectory } from './file-io.js';
import type { ModelVersionRecord } from './registry-store.js';

/** The file name a download into a folder gets: `<name>-<version>.zip` or `.onnx`. */
export function artifactFileName(record: ModelVersionRecord): string {
  return `${record.name}-${record.version}${record.kind === 'onnx' ? '.onnx' : '.zip'}`;
}

/**
 * Copies a version's blob to `out` (a file, or an existing folder to write `artifactFileName` into) atomically:
 * a temporary file beside it is written, checked against the recorded sha256 and size, fsynced and renamed, so
 * `out` is either untouched or complete. A blob that is missing or whose bytes differ is TCH_ERR_REGISTRY_STORAGE_FAILED.
 */
export async function downloadBlob(
  blobs: BlobStore,
  record: ModelVersionRecord,
  out: string,
  onProgress?: CopyProgress,
): Promise<string> {
  let target = resolve(out);
  if ((await stat(target).catch(() => undefined))?.isDirectory()) target = join(target, artifactFileName(record));
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  let file;
  try {
    file = await openWritableFile(temp);
  } catch (cause) {
    throw storageError('create the output file', target, cause);
  }
  try {
    const input = await blobs.openRead(record.sha256);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        hash.update(chunk);
        try {
          await file.write(chunk);
        } catch (cause) {
          throw storageError('write the output file', target, cause);
        }
        size += chunk.length;
        onProgress?.({ received: size, total: Math.max(record.size, size) });
      }
    } catch (cause) {
      if (cause instanceof TachyonError) throw cause;
      throw storageError('read the blob of', `${record.name}:${record.version}`, cause);
    } finally {
      input.destroy();
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== record.sha256 || size !== record.size) {
      throw new TachyonError(
        'TCH_ERR_REGISTRY_STORAGE_FAILED',
        `The stored artifact of "${record.name}:${record.version}" is damaged: its bytes no longer match the recorded sha256 and size.`,
        { details: { name: record.name, version: record.version, expected: record.sha256, actual: sha256, size } },
      );
    }
    try {
      await file.sync();
      await file.close();
      file = undefined;
      await rename(temp, target);
    } catch (cause) {
      throw storageError('write the output file', target, cause);
    }
    await syncDirectory(dirname(target));
    return target;
  } catch (error) {
    await file?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
