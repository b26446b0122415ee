import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { encodeOnnxModel } from '../../src/graph/index.js';
import { createSqliteRegistryStore, createWorkspace, locateWorkspaceConfig, openRegistry } from '../../src/index.js';
import { migrateWorkspaceRegistry } from '../../src/registry/postgres/migrate-workspace-registry.js';
import { buildModel, floatInfo, floatTensor, node } from '../graph/graph-fixtures.js';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();

/** A tiny valid ONNX model whose bytes differ by `seed`. */
async function tinyOnnx(dir: string, seed: number): Promise<string> {
  const model = buildModel({
    name: `m${seed}`,
    node: [node('Add', ['x', 'c'], ['y'])],
    initializer: [floatTensor('c', [1], [seed])],
    input: [floatInfo('x', [1])],
    output: [floatInfo('y', [1])],
  });
  const file = join(dir, `model-${seed}.onnx`);
  await writeFile(file, encodeOnnxModel(model));
  return file;
}

/** A workspace with several names, versions, tags, deployment refs, shared bytes and deleted versions. */
async function populatedWorkspace(t: TestContext): Promise<{ dir: string; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-migrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await createWorkspace(dir, { name: 'vision' });
  const files = await Promise.all([1, 2, 3].map((seed) => tinyOnnx(dir, seed)));
  const registry = await openRegistry(locateWorkspaceConfig(dir));
  try {
    await registry.register(files[0]!, 'cats', {
      description: 'first cut',
      tags: { stage: 'dev' },
      properties: { author: 'ann' },
    });
    await registry.register(files[1]!, 'cats');
    await registry.register(files[0]!, 'cats'); // same bytes as cats:1, stored once
    await registry.register(files[2]!, 'dogs', { tags: { team: 'pets' } });
    await registry.register(files[1]!, 'gone');
    await registry.delete('cats', 3); // cats continues at 4
    await registry.delete('gone'); // a name without versions whose counter still matters
    await registry.tag('cats', 2, { stage: 'prod' });
    await registry.addDeploymentRef({ deployment: 'web', name: 'cats', version: 2 });
    await registry.addDeploymentRef({ deployment: 'batch', name: 'dogs', version: 1 });
    // A deployment row (the controller's desired state) with a bumped generation and an observed state.
    await registry.store.putDeployment({
      name: 'api',
      spec: { model: 'dogs:1', replicas: 1 },
      state: 'pending',
      model: { name: 'dogs', version: 1 },
    });
    await registry.store.putDeployment({
      name: 'api',
      spec: { model: 'dogs:1', replicas: 2 },
      state: 'pending',
      model: { name: 'dogs', version: 1 },
    });
    await registry.store.setDeploymentState('api', 'running', null, { port: 8123 });
  } finally {
    await registry.close();
  }
  return { dir, files };
}

test('workspace migrate copies every row into PostgreSQL, points tachyon.json at it, and numbering continues', async (t) => {
  const { dir, files } = await populatedWorkspace(t);
  const before = locateWorkspaceConfig(dir);
  const sqlite = await createSqliteRegistryStore(before.registry);
  const expected = await sqlite.exportAll();
  await sqlite.close();
  assert.equal(expected.versions.length, 3);
  assert.deepEqual(expected.nextVersions, { cats: 4, dogs: 2, gone: 2 });
  const sqliteRows = await (async () => {
    const store = await createSqliteRegistryStore(before.registry);
    try {
      return await store.listDeployments();
    } finally {
      await store.close();
    }
  })();
  assert.equal(sqliteRows.length, 1);
  assert.equal(sqliteRows[0]!.generation, 2);
  const configText = readFileSync(join(dir, 'tachyon.json'), 'utf8');

  // Trust authentication ignores the password; it is here to check that nothing prints it.
  const url = (await pgServer().createDatabase('migrate')).replace(
    'postgres://postgres@',
    'postgres://postgres:hunter2@',
  );
  const result = await migrateWorkspaceRegistry(before, url);
  assert.deepEqual(
    { ...result },
    {
      configFile: join(dir, 'tachyon.json'),
      backupFile: join(dir, 'tachyon.json.bak'),
      from: before.registry,
      to: url.replace(':hunter2', ''),
      names: 3,
      versions: 3,
      deployments: 3,
      deploymentRows: 1,
      artifacts: 3,
      artifactStore: url.replace(':hunter2', ''),
      passwordInConfig: true,
    },
  );
  assert.equal(readFileSync(result.backupFile, 'utf8'), configText, 'the backup is the previous file');
  const { registry: _old, ...otherFields } = JSON.parse(configText) as Record<string, unknown>;
  assert.deepEqual(JSON.parse(readFileSync(result.configFile, 'utf8')), {
    ...otherFields,
    registry: url,
    artifacts: url,
  });
  assert.ok(existsSync(before.registry), 'the SQLite file is left in place');

  const after = locateWorkspaceConfig(dir);
  assert.equal(after.registry, url);
  assert.equal(after.artifacts, url);
  // The artifact folder is gone from the picture: everything must come from the one URL.
  rmSync(join(dir, 'artifacts'), { recursive: true, force: true });
  const registry = await openRegistry(after, { postgresBlobs: { cacheDir: join(dir, 'blob-cache') } });
  t.after(() => registry.close());
  assert.equal(registry.store.kind, 'postgres');
  assert.deepEqual(
    (await registry.store.listDeployments()).map((d) => ({ ...d })),
    sqliteRows.map((d) => ({ ...d })),
    'deployment rows carried over: spec, state, generation, runtime, times',
  );
  assert.equal((await registry.blobs.list()).length, 3, 'each distinct artifact is one large object');
  assert.deepEqual(
    await registry.store.exportAll(),
    expected,
    'every row equal: versions, created times, tags, properties, refs, counters',
  );
  assert.equal((await registry.register(files[2]!, 'cats')).version, 4, 'the deleted cats:3 is not reused');
  assert.equal((await registry.register(files[2]!, 'gone')).version, 2);
  const out = join(dir, 'cats-1.onnx');
  await registry.download('cats:1', out);
  assert.deepEqual(
    readFileSync(out),
    readFileSync(files[0]!),
    'the artifact comes back from PostgreSQL, byte for byte',
  );
  await assert.rejects(
    registry.delete('cats', 2),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_IN_USE'),
    'deployment refs carried over',
  );

  await assert.rejects(
    migrateWorkspaceRegistry(after, url),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID') && !e.message.includes('hunter2'),
  );
});

test('a non-empty target is refused and the workspace is left as it was', async (t) => {
  const { dir: first } = await populatedWorkspace(t);
  const { dir: second } = await populatedWorkspace(t);
  const url = await pgServer().createDatabase('migrate');
  await migrateWorkspaceRegistry(locateWorkspaceConfig(first), url);
  const configText = readFileSync(join(second, 'tachyon.json'), 'utf8');
  await assert.rejects(
    migrateWorkspaceRegistry(locateWorkspaceConfig(second), url),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED') && /not empty/.test(e.message),
  );
  assert.equal(readFileSync(join(second, 'tachyon.json'), 'utf8'), configText);
  assert.equal(existsSync(join(second, 'tachyon.json.bak')), false);
});

test('an unreachable target fails with the reason, credential-free, before anything changes', async (t) => {
  const { dir } = await populatedWorkspace(t);
  const configText = readFileSync(join(dir, 'tachyon.json'), 'utf8');
  const url = `postgres://postgres:hunter2@/db?host=${encodeURIComponent(join(dir, 'no-socket-here'))}`;
  await assert.rejects(
    migrateWorkspaceRegistry(locateWorkspaceConfig(dir), url),
    (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED') &&
      /ENOENT/.test(e.message) &&
      !`${e.message}${JSON.stringify(e.details)}`.includes('hunter2'),
  );
  await assert.rejects(migrateWorkspaceRegistry(locateWorkspaceConfig(dir), 'mysql://h/db'), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'),
  );
  assert.equal(readFileSync(join(dir, 'tachyon.json'), 'utf8'), configText);
});
