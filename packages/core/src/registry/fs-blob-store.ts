import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { TachyonError } from '@tachyon-serve/protocol';
import type { BlobInfo, BlobStore, CopyProgress, StagedBlob, StagingInfo } from './blob-store.js';
import { copyHashing, openWritableFile, storageError, syncDirectory, type OpenWritableFile } from './file-io.js';

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface FsBlobStoreOptions {
  /**
   * Creates a staging file for writing. Only tests and unusual file systems replace it (a test swaps in a writer
   * that fails with ENOSPC to check that a full disk leaves nothing behind).
   * @default exclusive create with mode 0644 (node:fs/promises `open(path, 'wx')`)
   */
  openWritable?: OpenWritableFile;
}

/** The writer's host as a short tag, so staging files name the host and pid that wrote them. */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 12);
const STAGING_NAME = /^([0-9a-f]{12})-([0-9]+)-[0-9a-f]+\.partial$/;

/**
 * Content-addressed blobs on the local file system:
 * `<root>/blobs/sha256/<first 2 hex>/<sha256>`, written through `<root>/blobs/staging/<hostTag>-<pid>-<random>.partial`
 * (same file system, so the final rename is atomic) after an fsync; the folder is fsynced after the rename.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly #blobsDir: string;
  readonly #stagingDir: string;
  readonly #openWritable: OpenWritableFile;

  constructor(root: string, options: FsBlobStoreOptions = {}) {
    if (typeof root !== 'string' || root === '') throw new TypeError('root must be a non-empty string.');
    this.root = root;
    this.#blobsDir = join(root, 'blobs', 'sha256');
    this.#stagingDir = join(root, 'blobs', 'staging');
    this.#openWritable = options.openWritable ?? openWritableFile;
  }

  localPath(sha256: string): string {
    checkSha256(sha256);
    return join(this.#blobsDir, sha256.slice(0, 2), sha256);
  }

  async stage(source: string, options: { onProgress?: CopyProgress } = {}): Promise<StagedBlob> {
    if (typeof source !== 'string' || source === '') throw new TypeError('source must be a non-empty string.');
    try {
      await mkdir(this.#stagingDir, { recursive: true });
    } catch (cause) {
      throw storageError('create the staging folder', this.#stagingDir, cause);
    }
    const path = join(this.#stagingDir, `${HOST_TAG}-${process.pid}-${randomBytes(8).toString('hex')}.partial`);
    let file;
    try {
      file = await this.#openWritable(path);
    } catch (cause) {
      throw storageError('create a staging file in', this.#stagingDir, cause);
    }
    let copied: { sha256: string; size: number };
    try {
      copied = await copyHashing(
        source,
        file,
        (cause) => storageError('write the artifact into', this.#stagingDir, cause),
        options.onProgress,
      );
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw error;
    }
    try {
      await file.close();
    } catch (cause) {
      await unlink(path).catch(() => undefined);
      throw storageError('write the artifact into', this.#stagingDir, cause);
    }
    let settled = false;
    return {
      ...copied,
      path,
      commit: async () => {
        if (settled) throw new Error('the staged blob was already committed or discarded');
        settled = true;
        await this.#commit(path, copied.sha256, copied.size);
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await unlink(path).catch(() => undefined);
      },
    };
  }

  async #commit(staged: string, sha256: string, size: number): Promise<void> {
    const final = this.localPath(sha256);
    const dir = join(this.#blobsDir, sha256.slice(0, 2));
    try {
      await mkdir(dir, { recursive: true });
      const existing = await stat(final).catch(() => undefined);
      if (existing?.isFile() && existing.size === size) {
        // Same bytes already stored (content addressing): keep the first copy.
        await unlink(staged);
        return;
      }
      await rename(staged, final);
      await syncDirectory(dir);
    } catch (cause) {
      await unlink(staged).catch(() => undefined);
      throw storageError('store the artifact in', this.#blobsDir, cause);
    }
  }

  async put(source: string): Promise<{ sha256: string; size: number }> {
    const staged = await this.stage(source);
    await staged.commit();
    return { sha256: staged.sha256, size: staged.size };
  }

  async has(sha256: string): Promise<boolean> {
    const s = await stat(this.localPath(sha256)).catch(() => undefined);
    return s?.isFile() === true;
  }

  async openRead(sha256: string): Promise<Readable> {
    const path = this.localPath(sha256);
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    }).catch((cause) => {
      throw missingBlob(sha256, path, cause);
    });
    return stream;
  }

  async delete(sha256: string): Promise<boolean> {
    const path = this.localPath(sha256);
    try {
      await unlink(path);
      return true;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw storageError('delete the blob', path, cause);
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const prefix of await listDir(this.#blobsDir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await listDir(join(this.#blobsDir, prefix))) {
        if (!SHA256_HEX.test(name) || !name.startsWith(prefix)) continue;
        const s = await stat(join(this.#blobsDir, prefix, name)).catch(() => undefined);
        if (s?.isFile()) out.push({ sha256: name, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
    return out.sort((a, b) => a.sha256.localeCompare(b.sha256));
  }

  async listStaging(): Promise<StagingInfo[]> {
    const out: StagingInfo[] = [];
    for (const name of await listDir(this.#stagingDir)) {
      const s = await stat(join(this.#stagingDir, name)).catch(() => undefined);
      if (!s?.isFile()) continue;
      const m = STAGING_NAME.exec(name);
      out.push({ name, hostTag: m?.[1], pid: m ? Number(m[2]) : undefined, mtimeMs: s.mtimeMs });
    }
    return out;
  }

  async deleteStaging(name: string): Promise<void> {
    if (
      typeof name !== 'string' ||
      name.includes('/') ||
      name.includes('\\') ||
      name === '' ||
      name === '.' ||
      name === '..'
    ) {
      throw new RangeError(`name "${String(name)}" is not a staging file name.`);
    }
    await unlink(join(this.#stagingDir, name)).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code !== 'ENOENT') throw storageError('delete the staging file', join(this.#stagingDir, name), cause);
    });
  }
}

function checkSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    throw new RangeError(`sha256 must be 64 lowercase hex digits, got "${String(sha256)}".`);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw storageError('list', dir, cause);
  }
}

export function missingBlob(sha256: string, path: string, cause?: unknown): TachyonError {
  return new TachyonError(
    'TCH_ERR_REGISTRY_STORAGE_FAILED',
    `Blob "${sha256}" is missing or unreadable in the artifact store.`,
    {
      details: { sha256, path },
      cause,
    },
  );
}
