import type { Readable } from 'node:stream';

/** Bytes copied so far of one artifact (for progress bars). */
export type CopyProgress = (p: { received: number; total: number }) => void;

export interface BlobInfo {
  readonly sha256: string;
  readonly size: number;
  /** Last modification, ms since the epoch (the sweep of unreferenced blobs waits out a TTL from it). */
  readonly mtimeMs: number;
}

/** A staging file left by a writer (a crash between copying and committing leaves one). */
export interface StagingInfo {
  readonly name: string;
  /** `<hostTag>-<pid>` of the writer when the name carries it. */
  readonly hostTag: string | undefined;
  readonly pid: number | undefined;
  readonly mtimeMs: number;
}

/**
 * An artifact copied into the store's staging area and hashed, not yet visible under its hash. Validate it at
 * `path`, then `commit()` (atomic rename; the same bytes are stored once) or `discard()`.
 */
export interface StagedBlob {
  readonly sha256: string;
  readonly size: number;
  /** The staged copy, readable until commit or discard. */
  readonly path: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Content-addressed artifact storage: a blob's name is the sha256 of its bytes. Storage failures (disk full,
 * read-only, permissions) are TCH_ERR_REGISTRY_STORAGE_FAILED and leave nothing behind.
 */
export interface BlobStore {
  stage(source: string, options?: { onProgress?: CopyProgress }): Promise<StagedBlob>;
  /** stage + commit. */
  put(source: string): Promise<{ sha256: string; size: number }>;
  has(sha256: string): Promise<boolean>;
  /** The blob's file, for readers that want a path (onnxruntime). */
  localPath(sha256: string): string;
  openRead(sha256: string): Promise<Readable>;
  /** False when the blob did not exist. */
  delete(sha256: string): Promise<boolean>;
  list(): Promise<BlobInfo[]>;
  listStaging(): Promise<StagingInfo[]>;
  deleteStaging(name: string): Promise<void>;
  /**
   * Makes `localPath(sha256)` a readable, checked file (a store whose blobs are not local files copies the blob
   * into its cache); absent when `localPath` always is one.
   */
  ensureLocal?(sha256: string): Promise<string>;
  /** Releases connections (a database-backed store). */
  close?(): Promise<void>;
}

/** The file of a blob, fetched into the store's local cache first when the store needs that. */
export async function localBlobPath(blobs: BlobStore, sha256: string): Promise<string> {
  return blobs.ensureLocal !== undefined ? blobs.ensureLocal(sha256) : blobs.localPath(sha256);
}
