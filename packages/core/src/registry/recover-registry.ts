import { hostname } from 'node:os';
import type { BlobStore } from './blob-store.js';
import { HOST_TAG } from './fs-blob-store.js';
import { isProcessAlive, parseOwnerId } from './process-owner.js';
import type { RegistryStore } from './registry-store.js';

export interface RecoveryOptions {
  /**
   * How long a journal entry of another host, an unreferenced blob or a staging file may live before it counts as
   * abandoned. Entries of this host whose process is gone are abandoned at once.
   * @default 3_600_000 (1 hour)
   */
  ttlMs?: number;
  /** The clock, in ms since the epoch (tests move it forward). @default Date.now() */
  now?: number;
}

export const RECOVERY_DEFAULTS = Object.freeze({ ttlMs: 3_600_000 });

export interface RecoveryReport {
  /** Journal entries of dead owners that were cleared. */
  readonly pendingCleared: number;
  /** Blobs deleted: of dead owners' journal entries, or unreferenced and older than the TTL. */
  readonly blobsRemoved: readonly string[];
  /** Abandoned staging files deleted. */
  readonly stagingRemoved: number;
}

/**
 * Undoes what a crashed registration left (run when a registry opens). A registration journals its blob, writes
 * it, then inserts its row and clears the journal in one transaction; so a journal entry whose owner is gone marks
 * a blob that may have no row: it is deleted unless a version (or another live journal entry) uses it. Blobs that
 * nothing references and no journal covers, older than the TTL, are deleted too (a crash between a version's
 * delete and its blob's), and so are abandoned staging files.
 */
export async function recoverRegistry(
  store: RegistryStore,
  blobs: BlobStore,
  options: RecoveryOptions = {},
): Promise<RecoveryReport> {
  const ttlMs = options.ttlMs ?? RECOVERY_DEFAULTS.ttlMs;
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError('options.ttlMs must be a non-negative number.');
  const now = options.now ?? Date.now();
  const host = hostname();
  let pendingCleared = 0;
  const blobsRemoved: string[] = [];

  for (const entry of await store.pendingBlobs()) {
    const owner = parseOwnerId(entry.owner);
    const age = now - Date.parse(entry.createdAt);
    // Our own pid may be another registry of this process, mid-registration: only the TTL can retire it.
    const dead = (owner?.host === host && owner.pid !== process.pid && !isProcessAlive(owner.pid)) || !(age <= ttlMs);
    if (!dead) continue;
    if (await collectBlob(store, blobs, entry.sha256, entry.owner)) blobsRemoved.push(entry.sha256);
    pendingCleared++;
  }

  const referenced = await store.referencedBlobs();
  const journaled = new Set((await store.pendingBlobs()).map((p) => p.sha256));
  for (const blob of await blobs.list()) {
    if (referenced.has(blob.sha256) || journaled.has(blob.sha256) || !(now - blob.mtimeMs > ttlMs)) continue;
    if (await collectBlob(store, blobs, blob.sha256)) blobsRemoved.push(blob.sha256);
  }

  let stagingRemoved = 0;
  for (const file of await blobs.listStaging()) {
    const ownDead =
      file.hostTag === HOST_TAG && file.pid !== undefined && file.pid !== process.pid && !isProcessAlive(file.pid);
    if (!ownDead && !(now - file.mtimeMs > ttlMs)) continue;
    await blobs.deleteStaging(file.name);
    stagingRemoved++;
  }
  return Object.freeze({ pendingCleared, blobsRemoved: Object.freeze(blobsRemoved), stagingRemoved });
}

/**
 * Removes `pendingOwner`'s journal entry (when given) and deletes the blob when no version row and no other journal
 * entry uses it; under the store's write lock when it has `collectBlob`, else check-then-delete (a registration of
 * the same bytes racing with it could then lose its blob; every store of this repository has the lock).
 */
export async function collectBlob(
  store: RegistryStore,
  blobs: BlobStore,
  sha256: string,
  pendingOwner?: string,
): Promise<boolean> {
  const remove = async () => void (await blobs.delete(sha256));
  if (store.collectBlob !== undefined) return store.collectBlob(sha256, remove, pendingOwner);
  if (pendingOwner !== undefined) await store.removePendingBlob(sha256, pendingOwner);
  if ((await store.referencedBlobs()).has(sha256)) return false;
  if ((await store.pendingBlobs()).some((p) => p.sha256 === sha256)) return false;
  await remove();
  return true;
}
