// Crash recovery in one process: journal entries of dead owners, orphan blobs, abandoned staging files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsBlobStore, createModelRegistry, recoverRegistry } from '../../src/registry/index.js';
import { HOST_TAG } from '../../src/registry/fs-blob-store.js';
import { deadPid, writeTinyOnnx } from './fixtures.js';
import type { StoreFactory } from './store-contract-suite.js';
import { tempDir } from '@tachyon-serve/test-support';

const HOUR = 3_600_000;

export function defineRecoverySuite(label: string, createStore: StoreFactory): void {
  test(`${label} recovery: a dead owner's journaled blob without a row is deleted with its entry`, async (t) => {
    const dir = tempDir(t, 'tachyon-registry-');
    const store = await createStore(t);
    const blobs = new FsBlobStore(join(dir, 'artifacts'));
    const orphan = await blobs.put(writeTinyOnnx(join(dir, 'a.onnx'), 'a'));
    const kept = await blobs.put(writeTinyOnnx(join(dir, 'b.onnx'), 'b'));
    await store.insertVersion({ name: 'kept', sha256: kept.sha256, size: kept.size, kind: 'onnx' });
    const dead = `${hostname()}:${deadPid()}:dead01`;
    await store.addPendingBlob(orphan.sha256, dead);
    await store.addPendingBlob(kept.sha256, dead); // journaled, but a version references it: only the entry goes

    const registry = await createModelRegistry(store, blobs);
    assert.deepEqual(await store.pendingBlobs(), []);
    assert.equal(existsSync(blobs.localPath(orphan.sha256)), false);
    assert.equal(existsSync(blobs.localPath(kept.sha256)), true);
    assert.deepEqual(
      (await registry.list()).map((r) => r.name),
      ['kept'],
    );
  });

  test(`${label} recovery: live owners of this host keep their entries; other hosts' expire after the TTL`, async (t) => {
    const dir = tempDir(t, 'tachyon-registry-');
    const store = await createStore(t);
    const blobs = new FsBlobStore(join(dir, 'artifacts'));
    const a = await blobs.put(writeTinyOnnx(join(dir, 'a.onnx'), 'a'));
    const b = await blobs.put(writeTinyOnnx(join(dir, 'b.onnx'), 'b'));
    const c = await blobs.put(writeTinyOnnx(join(dir, 'c.onnx'), 'c'));
    await store.addPendingBlob(a.sha256, `${hostname()}:${process.pid}:self`); // another registry of this process
    await store.addPendingBlob(b.sha256, `${hostname()}:${process.ppid}:parent`); // alive
    await store.addPendingBlob(c.sha256, 'some-other-host.example:4242:far');

    const first = await recoverRegistry(store, blobs);
    assert.deepEqual(first, { pendingCleared: 0, blobsRemoved: [], stagingRemoved: 0 });
    assert.equal((await store.pendingBlobs()).length, 3);

    const later = await recoverRegistry(store, blobs, { now: Date.now() + 2 * HOUR });
    assert.equal(later.pendingCleared, 3);
    assert.deepEqual([...later.blobsRemoved].sort(), [a.sha256, b.sha256, c.sha256].sort());
    assert.deepEqual(await store.pendingBlobs(), []);
    assert.deepEqual(await blobs.list(), []);
  });

  test(`${label} recovery: unreferenced, unjournaled blobs older than the TTL are swept; referenced ones never`, async (t) => {
    const dir = tempDir(t, 'tachyon-registry-');
    const store = await createStore(t);
    const blobs = new FsBlobStore(join(dir, 'artifacts'));
    const orphan = await blobs.put(writeTinyOnnx(join(dir, 'a.onnx'), 'a'));
    const used = await blobs.put(writeTinyOnnx(join(dir, 'b.onnx'), 'b'));
    await store.insertVersion({ name: 'used', sha256: used.sha256, size: used.size, kind: 'onnx' });

    assert.deepEqual(
      (await recoverRegistry(store, blobs)).blobsRemoved,
      [],
      'young orphans may still be mid-registration',
    );
    const swept = await recoverRegistry(store, blobs, { ttlMs: 0, now: Date.now() + 1000 });
    assert.deepEqual(swept.blobsRemoved, [orphan.sha256]);
    assert.deepEqual(
      (await blobs.list()).map((b) => b.sha256),
      [used.sha256],
    );
  });

  test(`${label} recovery: staging files of dead writers of this host go at once, others after the TTL`, async (t) => {
    const dir = tempDir(t, 'tachyon-registry-');
    const store = await createStore(t);
    const blobs = new FsBlobStore(join(dir, 'artifacts'));
    const staging = join(dir, 'artifacts', 'blobs', 'staging');
    mkdirSync(staging, { recursive: true });
    const deadFile = `${HOST_TAG}-${deadPid()}-00ff.partial`;
    const liveFile = `${HOST_TAG}-${process.pid}-00ee.partial`;
    const foreignFile = `0123456789ab-77-00dd.partial`;
    for (const name of [deadFile, liveFile, foreignFile]) writeFileSync(join(staging, name), 'partial bytes');

    assert.equal((await recoverRegistry(store, blobs)).stagingRemoved, 1);
    assert.deepEqual((await blobs.listStaging()).map((s) => s.name).sort(), [foreignFile, liveFile].sort());
    assert.equal((await recoverRegistry(store, blobs, { now: Date.now() + 2 * HOUR })).stagingRemoved, 2);
    assert.deepEqual(await blobs.listStaging(), []);
  });
}
