import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  ADMIN_KEY_FILE,
  createWorkspace,
  locateWorkspaceConfig,
  openRegistry,
  readAdminKey,
} from '../../src/registry/index.js';
import { writeTinyOnnx } from './fixtures.js';
import { tempDir } from '@tachyon-serve/test-support';

test('createWorkspace writes tachyon.json, a 0600 admin key kept out of it, the registry and the artifact folder', async (t) => {
  const dir = join(tempDir(t, 'tachyon-registry-'), 'vision');
  const config = await createWorkspace(dir, { name: 'vision-team' });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'tachyon.json'), 'utf8')), {
    name: 'vision-team',
    registry: 'registry.db',
    artifacts: 'artifacts',
    modelPath: [],
    defaultModel: 'resnet50-int8',
    server: {},
  });
  assert.deepEqual(
    [config.name, config.root, config.registry, config.artifacts],
    ['vision-team', dir, join(dir, 'registry.db'), join(dir, 'artifacts')],
  );
  const keyFile = join(dir, ADMIN_KEY_FILE);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, '.tachyon')).mode & 0o777, 0o700);
  const key = await readAdminKey(config);
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(key, 'base64url').length, 32);
  assert.ok(!readFileSync(join(dir, 'tachyon.json'), 'utf8').includes(key));
  assert.ok(existsSync(join(dir, 'registry.db')) && statSync(join(dir, 'artifacts')).isDirectory());
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['.tachyon', 'artifacts', 'registry.db', 'registry.db-shm', 'registry.db-wal', 'tachyon.json']
      .filter((f) => existsSync(join(dir, f)))
      .sort(),
  );

  const other = await createWorkspace(join(tempDir(t, 'tachyon-registry-'), 'x'));
  assert.equal(other.name, 'x', 'the name defaults to the folder name');
  assert.notEqual(await readAdminKey(other), key);
});

test('createWorkspace refuses a folder that holds a workspace, and changes nothing', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-');
  await createWorkspace(dir, { name: 'a' });
  const before = readFileSync(join(dir, ADMIN_KEY_FILE), 'utf8');
  await assert.rejects(createWorkspace(dir, { name: 'b' }), (e) => isTachyonError(e, 'TCH_ERR_WORKSPACE_EXISTS'));
  assert.equal(JSON.parse(readFileSync(join(dir, 'tachyon.json'), 'utf8')).name, 'a');
  assert.equal(readFileSync(join(dir, ADMIN_KEY_FILE), 'utf8'), before);

  const keyOnly = tempDir(t, 'tachyon-registry-');
  mkdirSync(join(keyOnly, '.tachyon'));
  writeFileSync(join(keyOnly, ADMIN_KEY_FILE), 'an old key\n');
  await assert.rejects(createWorkspace(keyOnly), (e) => isTachyonError(e, 'TCH_ERR_WORKSPACE_EXISTS'));
  assert.equal(readFileSync(join(keyOnly, ADMIN_KEY_FILE), 'utf8'), 'an old key\n');
});

test('createWorkspace with an unreachable PostgreSQL registry fails and leaves nothing behind', async (t) => {
  const parent = tempDir(t, 'tachyon-registry-');
  const dir = join(parent, 'ws');
  await assert.rejects(createWorkspace(dir, { registry: 'postgres://tachyon:hunter2@127.0.0.1:1/registry' }), (e) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED'), String(e));
    assert.ok(!e.message.includes('hunter2'), 'no password in messages');
    return true;
  });
  assert.deepEqual(readdirSync(parent), []);
});

test('createWorkspace: misuse of options is a TypeError or RangeError', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-');
  await assert.rejects(createWorkspace(''), TypeError);
  await assert.rejects(createWorkspace(dir, { name: '' }), TypeError);
  await assert.rejects(createWorkspace(dir, { name: 'a\nb' }), RangeError);
  assert.deepEqual(readdirSync(dir), []);
});

test('locateWorkspaceConfig: the folder, the file, or from a working directory upward; else WORKSPACE_NOT_FOUND', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-');
  await createWorkspace(dir, { name: 'found' });
  const deep = join(dir, 'a', 'b');
  mkdirSync(deep, { recursive: true });
  assert.equal(locateWorkspaceConfig(dir).name, 'found');
  assert.equal(locateWorkspaceConfig(join(dir, 'tachyon.json')).name, 'found');
  assert.equal(locateWorkspaceConfig(undefined, deep).name, 'found');
  assert.equal(locateWorkspaceConfig('../..', deep).name, 'found');
  const empty = tempDir(t, 'tachyon-registry-');
  assert.throws(
    () => locateWorkspaceConfig(empty),
    (e) => isTachyonError(e, 'TCH_ERR_WORKSPACE_NOT_FOUND'),
  );
  assert.throws(
    () => locateWorkspaceConfig(undefined, empty),
    (e) => isTachyonError(e, 'TCH_ERR_WORKSPACE_NOT_FOUND'),
  );
});

test('readAdminKey of a hand-written workspace without a key is TCH_ERR_IO_NOT_FOUND', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-');
  writeFileSync(join(dir, 'tachyon.json'), '{"name": "manual"}');
  await assert.rejects(readAdminKey(locateWorkspaceConfig(dir)), (e) => isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'));
});

test('openRegistry opens the workspace registry and artifact folder', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-');
  const config = await createWorkspace(dir);
  const registry = await openRegistry(config);
  t.after(() => registry.close());
  const v = await registry.register(writeTinyOnnx(join(dir, 'm.onnx')), 'm');
  assert.ok(registry.artifactPath(v).startsWith(join(dir, 'artifacts', 'blobs', 'sha256')));
  assert.equal(registry.store.kind, 'sqlite');
});
