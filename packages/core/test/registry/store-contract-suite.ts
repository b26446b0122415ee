// The RegistryStore contract, run against every backend (see registry-suite.ts).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import type { NewModelVersion, RegistryStore } from '../../src/registry/index.js';

export type StoreFactory = (t: TestContext) => Promise<RegistryStore>;

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);

function version(name: string, sha256 = SHA_A, extra: Partial<NewModelVersion> = {}): NewModelVersion {
  return { name, sha256, size: 123, kind: 'onnx', ...extra };
}

export function defineStoreContractSuite(label: string, createStore: StoreFactory): void {
  test(`${label} store: versions are 1, 2, 3 per name, with every field`, async (t) => {
    const store = await createStore(t);
    const before = Date.now();
    const v1 = await store.insertVersion(
      version('cats', SHA_A, {
        description: 'first',
        tags: { stage: 'dev' },
        properties: { top1: '0.7' },
        kind: 'service-definition',
      }),
    );
    const v2 = await store.insertVersion(version('cats', SHA_B));
    const d1 = await store.insertVersion(version('dogs', SHA_C));
    assert.deepEqual([v1.version, v2.version, d1.version], [1, 2, 1]);
    assert.deepEqual(
      { ...v1, tags: { ...v1.tags }, properties: { ...v1.properties }, createdAt: 'x' },
      {
        name: 'cats',
        version: 1,
        description: 'first',
        tags: { stage: 'dev' },
        properties: { top1: '0.7' },
        sha256: SHA_A,
        size: 123,
        kind: 'service-definition',
        createdAt: 'x',
      },
    );
    assert.equal(v2.description, null);
    assert.deepEqual({ ...v2.tags }, {});
    assert.match(v1.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Date.parse(v1.createdAt) >= before - 1000 && Date.parse(v1.createdAt) <= Date.now() + 1000);
    assert.deepEqual(await store.getVersion('cats'), v2);
    assert.deepEqual(await store.getVersion('cats', 1), v1);
    assert.equal(await store.getVersion('cats', 3), undefined);
    assert.equal(await store.getVersion('birds'), undefined);
  });

  test(`${label} store: version numbers are never reused after a delete`, async (t) => {
    const store = await createStore(t);
    for (let i = 0; i < 3; i++) await store.insertVersion(version('m'));
    assert.equal(await store.deleteVersion('m', 3), true);
    assert.equal(await store.deleteVersion('m', 3), false);
    assert.equal((await store.insertVersion(version('m'))).version, 4);
    for (const v of [1, 2, 4]) assert.equal(await store.deleteVersion('m', v), true);
    assert.deepEqual(await store.listVersions({ name: 'm' }), []);
    assert.equal((await store.insertVersion(version('m'))).version, 5);
  });

  test(`${label} store: concurrent inserts in one process get distinct consecutive versions`, async (t) => {
    const store = await createStore(t);
    const records = await Promise.all(Array.from({ length: 20 }, () => store.insertVersion(version('busy'))));
    assert.deepEqual(
      records.map((r) => r.version).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  test(`${label} store: list is ordered by name then version and filters by name and tag`, async (t) => {
    const store = await createStore(t);
    await store.insertVersion(version('zeta', SHA_A, { tags: { stage: 'prod' } }));
    await store.insertVersion(version('alpha', SHA_B, { tags: { stage: 'dev', team: 'x' } }));
    await store.insertVersion(version('alpha', SHA_C, { tags: { stage: 'prod' } }));
    const ids = (list: { name: string; version: number }[]) => list.map((r) => `${r.name}:${r.version}`);
    assert.deepEqual(ids(await store.listVersions()), ['alpha:1', 'alpha:2', 'zeta:1']);
    assert.deepEqual(ids(await store.listVersions({ name: 'alpha' })), ['alpha:1', 'alpha:2']);
    assert.deepEqual(ids(await store.listVersions({ tag: { key: 'stage', value: 'prod' } })), ['alpha:2', 'zeta:1']);
    assert.deepEqual(ids(await store.listVersions({ tag: { key: 'team' } })), ['alpha:1']);
    assert.deepEqual(ids(await store.listVersions({ name: 'zeta', tag: { key: 'team' } })), []);
    assert.deepEqual({ ...(await store.listVersions({ name: 'alpha' }))[0]!.tags }, { stage: 'dev', team: 'x' });
  });

  test(`${label} store: updateTags sets and removes; a missing version gives undefined`, async (t) => {
    const store = await createStore(t);
    await store.insertVersion(version('m', SHA_A, { tags: { a: '1', b: '2' } }));
    const updated = await store.updateTags('m', 1, { b: 'two', c: '3' }, ['a']);
    assert.deepEqual({ ...updated!.tags }, { b: 'two', c: '3' });
    assert.deepEqual({ ...(await store.getVersion('m', 1))!.tags }, { b: 'two', c: '3' });
    assert.equal(await store.updateTags('m', 2, { x: 'y' }), undefined);
    assert.equal(await store.updateTags('nope', 1, {}), undefined);
  });

  test(`${label} store: referencedBlobs and deployment refs`, async (t) => {
    const store = await createStore(t);
    await store.insertVersion(version('m', SHA_A));
    await store.insertVersion(version('m', SHA_B));
    await store.insertVersion(version('n', SHA_A));
    assert.deepEqual([...(await store.referencedBlobs())].sort(), [SHA_A, SHA_B]);

    await store.addDeploymentRef({ deployment: 'web', name: 'm', version: 1 });
    await store.addDeploymentRef({ deployment: 'batch', name: 'm', version: 2 });
    assert.deepEqual(
      (await store.deploymentRefs('m')).map((d) => ({ ...d })),
      [
        { deployment: 'batch', name: 'm', version: 2 },
        { deployment: 'web', name: 'm', version: 1 },
      ],
    );
    assert.deepEqual(
      (await store.deploymentRefs('m', 1)).map((d) => d.deployment),
      ['web'],
    );
    // A deployment holds one version at a time: adding it again moves it.
    await store.addDeploymentRef({ deployment: 'web', name: 'm', version: 2 });
    assert.deepEqual(
      (await store.deploymentRefs('m', 1)).map((d) => d.deployment),
      [],
    );
    assert.deepEqual(
      (await store.deploymentRefs('m', 2)).map((d) => d.deployment),
      ['batch', 'web'],
    );
    await store.removeDeploymentRef('batch');
    await store.removeDeploymentRef('never-existed');
    assert.deepEqual(
      (await store.deploymentRefs('m')).map((d) => d.deployment),
      ['web'],
    );
    await assert.rejects(store.addDeploymentRef({ deployment: 'x', name: 'm', version: 9 }), (e) =>
      isTachyonError(e, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND'),
    );
  });

  test(`${label} store: the pending-blob journal, cleared by insertVersion for its owner only`, async (t) => {
    const store = await createStore(t);
    await store.addPendingBlob(SHA_A, 'host:1:a');
    await store.addPendingBlob(SHA_A, 'host:1:a'); // idempotent
    await store.addPendingBlob(SHA_A, 'host:2:b');
    await store.addPendingBlob(SHA_B, 'host:1:a');
    const owners = async () => (await store.pendingBlobs()).map((p) => `${p.sha256.slice(0, 1)}/${p.owner}`).sort();
    assert.deepEqual(await owners(), ['a/host:1:a', 'a/host:2:b', 'b/host:1:a']);
    const entry = (await store.pendingBlobs())[0]!;
    assert.ok(!Number.isNaN(Date.parse(entry.createdAt)));
    await store.insertVersion(version('m', SHA_A), 'host:1:a');
    assert.deepEqual(await owners(), ['a/host:2:b', 'b/host:1:a']);
    await store.removePendingBlob(SHA_B, 'host:1:a');
    await store.removePendingBlob(SHA_B, 'host:1:a');
    assert.deepEqual(await owners(), ['a/host:2:b']);
  });

  test(`${label} store: collectBlob deletes only unused blobs, under its lock, and rolls back on failure`, async (t) => {
    const store = await createStore(t);
    if (store.collectBlob === undefined) return; // optional in the contract; ModelRegistry then falls back
    const removed: string[] = [];
    const remover = (sha: string) => async () => void removed.push(sha);
    await store.insertVersion(version('m', SHA_A));
    assert.equal(await store.collectBlob(SHA_A, remover(SHA_A)), false, 'a referenced blob stays');
    await store.addPendingBlob(SHA_B, 'h:1:x');
    await store.addPendingBlob(SHA_B, 'h:2:y');
    assert.equal(
      await store.collectBlob(SHA_B, remover(SHA_B), 'h:1:x'),
      false,
      'another journal entry still covers it',
    );
    assert.deepEqual(
      (await store.pendingBlobs()).map((p) => p.owner),
      ['h:2:y'],
    );
    await assert.rejects(
      store.collectBlob(
        SHA_B,
        async () => {
          throw new Error('disk says no');
        },
        'h:2:y',
      ),
      /disk says no/,
    );
    assert.deepEqual(
      (await store.pendingBlobs()).map((p) => p.owner),
      ['h:2:y'],
      'the failed collection rolled back',
    );
    assert.equal(await store.collectBlob(SHA_B, remover(SHA_B), 'h:2:y'), true);
    assert.deepEqual(await store.pendingBlobs(), []);
    assert.equal(await store.collectBlob(SHA_C, remover(SHA_C)), true);
    assert.deepEqual(removed, [SHA_B, SHA_C]);
  });

  test(`${label} store: exportAll -> importAll into an empty store keeps every row and counter`, async (t) => {
    const source = await createStore(t);
    await source.insertVersion(version('m', SHA_A, { description: 'd', tags: { t: '1' }, properties: { p: '2' } }));
    await source.insertVersion(version('m', SHA_B));
    await source.insertVersion(version('m', SHA_C));
    await source.deleteVersion('m', 3);
    await source.insertVersion(version('n', SHA_A));
    await source.addDeploymentRef({ deployment: 'web', name: 'm', version: 2 });
    const data = await source.exportAll();
    assert.deepEqual(data.nextVersions, { m: 4, n: 2 });
    assert.deepEqual(
      data.versions.map((v) => `${v.name}:${v.version}`),
      ['m:1', 'm:2', 'n:1'],
    );

    const target = await createStore(t);
    await target.importAll(data);
    assert.deepEqual(await target.exportAll(), data);
    assert.equal((await target.insertVersion(version('m'))).version, 4, 'the counter came along');
    await assert.rejects(target.importAll(data), (e) => isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED'));
  });

  test(`${label} store: argument misuse is a TypeError/RangeError, a bad name a TachyonError`, async (t) => {
    const store = await createStore(t);
    await assert.rejects(
      async () => store.insertVersion(version('Bad Name')),
      (e) => isTachyonError(e, 'TCH_ERR_REGISTRY_NAME_INVALID'),
    );
    await assert.rejects(async () => store.insertVersion({ ...version('m'), sha256: 'xyz' }), RangeError);
    await assert.rejects(async () => store.insertVersion({ ...version('m'), size: -1 }), RangeError);
    await assert.rejects(async () => store.insertVersion({ ...version('m'), kind: 'pickle' as never }), RangeError);
    assert.deepEqual(await store.listVersions(), []);
  });
}
