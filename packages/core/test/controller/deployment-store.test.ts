// The deployments table behind RegistryStore, run against both stores (SQLite file, real PostgreSQL).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { createSqliteRegistryStore } from '../../src/registry/sqlite/sqlite-registry-store.js';
import { createPostgresRegistryStore } from '../../src/registry/postgres/index.js';
import { FsBlobStore } from '../../src/registry/fs-blob-store.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import type { RegistryStore } from '../../src/registry/registry-store.js';
import { tempDir } from '@tachyon-serve/test-support';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();
const SHA = 'd'.repeat(64);
const spec = (version: number, extra: Record<string, unknown> = {}) => ({
  model: { name: 'mnv2', version },
  workers: 1,
  tls: 'none',
  ...extra,
});

const stores: [string, (t: TestContext) => Promise<RegistryStore>][] = [
  [
    'sqlite',
    async (t) => {
      const store = await createSqliteRegistryStore(join(tempDir(t, 'tachyon-deploy-store-'), 'registry.db'));
      t.after(() => store.close());
      return store;
    },
  ],
  [
    'postgres',
    async (t) => {
      const store = await createPostgresRegistryStore(await pgServer().createDatabase());
      t.after(() => store.close());
      return store;
    },
  ],
];

for (const [label, createStore] of stores) {
  test(`${label}: put is idempotent; the generation moves only when the spec changes; key order does not matter`, async (t) => {
    const store = await createStore(t);
    await store.insertVersion({ name: 'mnv2', sha256: SHA, size: 1, kind: 'onnx' });
    await store.insertVersion({ name: 'mnv2', sha256: SHA, size: 1, kind: 'onnx' });
    const first = await store.putDeployment({
      name: 'vision',
      spec: spec(1),
      state: 'Transitioning',
      model: { name: 'mnv2', version: 1 },
    });
    assert.equal(first.changed, true);
    assert.equal(first.record.generation, 1);
    assert.equal(first.record.state, 'Transitioning');
    assert.deepEqual(first.record.spec, spec(1));
    assert.match(first.record.createdAt, /^\d{4}-\d\d-\d\dT/);
    await store.setDeploymentState('vision', 'Healthy', null, { httpPort: 8123, pid: 42 });
    const reordered = { tls: 'none', workers: 1, model: { version: 1, name: 'mnv2' } };
    const same = await store.putDeployment({
      name: 'vision',
      spec: reordered,
      state: 'Transitioning',
      model: { name: 'mnv2', version: 1 },
    });
    assert.equal(same.changed, false);
    assert.equal(same.record.generation, 1);
    assert.equal(same.record.state, 'Healthy', 'an unchanged spec keeps the observed state');
    const next = await store.putDeployment({
      name: 'vision',
      spec: spec(2),
      state: 'Transitioning',
      model: { name: 'mnv2', version: 2 },
    });
    assert.equal(next.changed, true);
    assert.equal(next.record.generation, 2);
    assert.equal(next.record.state, 'Transitioning');
    assert.deepEqual({ ...next.record.runtime }, { httpPort: 8123, pid: 42 }, 'runtime facts survive a spec change');
    assert.deepEqual(
      (await store.deploymentRefs('mnv2')).map((r) => ({ ...r })),
      [{ deployment: 'vision', name: 'mnv2', version: 2 }],
      'the hold moved to the new version',
    );
  });

  test(`${label}: state, reason and runtime (merged); list by name; delete removes row and hold`, async (t) => {
    const store = await createStore(t);
    await store.insertVersion({ name: 'mnv2', sha256: SHA, size: 1, kind: 'onnx' });
    for (const name of ['zeta', 'alpha'])
      await store.putDeployment({ name, spec: spec(1), state: 'Transitioning', model: { name: 'mnv2', version: 1 } });
    const unhealthy = await store.setDeploymentState('alpha', 'Unhealthy', 'exited with code 1', { httpPort: 1 });
    assert.equal(unhealthy?.reason, 'exited with code 1');
    const merged = await store.setDeploymentState('alpha', 'Healthy', null, { grpcPort: 2 });
    assert.deepEqual({ ...merged!.runtime }, { httpPort: 1, grpcPort: 2 });
    assert.equal(merged!.reason, null);
    assert.equal(await store.setDeploymentState('missing', 'Healthy', null), undefined);
    assert.deepEqual(
      (await store.listDeployments()).map((r) => r.name),
      ['alpha', 'zeta'],
    );
    assert.equal(await store.deleteDeployment('alpha'), true);
    assert.equal(await store.deleteDeployment('alpha'), false);
    assert.equal(await store.getDeployment('alpha'), undefined);
    assert.deepEqual(
      (await store.deploymentRefs('mnv2')).map((r) => r.deployment),
      ['zeta'],
    );
  });

  test(`${label}: a deployment of an unregistered version is refused and writes nothing; misuse is a TypeError`, async (t) => {
    const store = await createStore(t);
    await assert.rejects(
      store.putDeployment({
        name: 'vision',
        spec: spec(1),
        state: 'Transitioning',
        model: { name: 'mnv2', version: 1 },
      }),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND'),
    );
    assert.deepEqual(await store.listDeployments(), []);
    // SQLite throws at once, PostgreSQL's async methods reject: either way a TypeError.
    await assert.rejects(
      async () =>
        store.putDeployment({
          name: 'vision',
          spec: [] as unknown as Record<string, unknown>,
          state: 'x',
          model: { name: 'mnv2', version: 1 },
        }),
      TypeError,
    );
    await assert.rejects(async () => store.setDeploymentState('vision', '', null), TypeError);
  });

  test(`${label}: deleting a model version a deployment uses is refused (TCH_ERR_REGISTRY_IN_USE) until the deployment is gone`, async (t) => {
    const store = await createStore(t);
    const registry = new ModelRegistry(store, new FsBlobStore(tempDir(t, 'tachyon-deploy-store-')));
    await store.insertVersion({ name: 'mnv2', sha256: SHA, size: 1, kind: 'onnx' });
    await store.putDeployment({ name: 'vision', spec: spec(1), state: 'Healthy', model: { name: 'mnv2', version: 1 } });
    await assert.rejects(
      registry.delete('mnv2', 1),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_IN_USE') && /"vision"/.test(e.message),
    );
    await store.deleteDeployment('vision');
    assert.equal((await registry.delete('mnv2', 1)).length, 1);
  });
}
