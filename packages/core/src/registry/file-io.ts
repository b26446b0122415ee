import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import type { CopyProgress } from './blob-store.js';

/** The few calls a writer makes on a new file; tests substitute one that fails like a full or read-only disk. */
export interface WritableFile {
  /** Writes all of `data` at the end of what was written so far. */
  write(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenWritableFile = (path: string) => Promise<WritableFile>;

/** Creates `path` exclusively (it must not exist), mode 0644. */
export const openWritableFile: OpenWritableFile = async (path) => {
  const handle = await open(path, 'wx', 0o644);
  return {
    async write(data) {
      for (let offset = 0; offset < data.length; ) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
    },
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
};

const CHUNK_BYTES = 1 << 20;

/**
 * Streams `source` into `target` while hashing it. A failure to read the source is TCH_ERR_IO_NOT_FOUND; a failure
 * to write is handed to `targetError` (the caller knows which store it is). The target is synced, not closed.
 */
export async function copyHashing(
  source: string,
  target: WritableFile,
  targetError: (cause: unknown) => Error,
  onProgress?: CopyProgress,
): Promise<{ sha256: string; size: number }> {
  let input;
  let total: number;
  try {
    input = await open(source, 'r');
    const stats = await input.stat();
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    total = stats.size;
  } catch (cause) {
    await input?.close().catch(() => undefined);
    throw sourceError(source, cause);
  }
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let size = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await input.read(buffer, 0, buffer.length, null));
      } catch (cause) {
        throw sourceError(source, cause);
      }
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      try {
        await target.write(chunk);
      } catch (cause) {
        throw targetError(cause);
      }
      size += bytesRead;
      onProgress?.({ received: size, total: Math.max(total, size) });
    }
    try {
      await target.sync();
    } catch (cause) {
      throw targetError(cause);
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await input.close().catch(() => undefined);
  }
}

export function sourceError(path: string, cause: unknown): TachyonError {
  const errno = (cause as NodeJS.ErrnoException | null)?.code;
  const what = errno === 'EISDIR' ? 'is not a regular file' : 'does not exist or cannot be read';
  return new TachyonError('TCH_ERR_IO_NOT_FOUND', `File "${path}" ${what}.`, {
    details: { path, ...(errno ? { errno } : {}) },
    cause,
  });
}

/** Disk full, read-only file system, permissions, a file where a folder should be: TCH_ERR_REGISTRY_STORAGE_FAILED. */
export function storageError(action: string, path: string, cause: unknown): TachyonError {
  if (cause instanceof TachyonError) return cause;
  const errno = (cause as NodeJS.ErrnoException | null)?.code;
  const reason = errno === undefined ? (cause instanceof Error ? cause.message : String(cause)) : describeErrno(errno);
  return new TachyonError('TCH_ERR_REGISTRY_STORAGE_FAILED', `Cannot ${action} "${path}": ${reason}.`, {
    details: { action, path, ...(errno ? { errno } : {}) },
    cause,
  });
}

function describeErrno(errno: string): string {
  switch (errno) {
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EDQUOT':
      return 'disk quota exceeded (EDQUOT)';
    case 'EROFS':
      return 'read-only file system (EROFS)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${errno})`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `a file is in the way of a folder (${errno})`;
    default:
      return errno;
  }
}

/** fsyncs a folder so a rename into it survives a power loss; file systems that refuse are skipped. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on some platforms and file systems: durability is best effort there
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
