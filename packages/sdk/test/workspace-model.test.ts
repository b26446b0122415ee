import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Model, Workspace } from '../src/index.js';
import { sharedDir, tempDir } from '@tachyon-serve/test-support';

const SHARED = sharedDir();
const SQUEEZENET = join(SHARED, 'models', 'squeezenet1.1-fp32.onnx');
const MOBILENET_INT8 = join(SHARED, 'models', 'mobilenetv2-int8-qdq.onnx');

async function workspace(t: TestContext): Promise<Workspace> {
  const ws = await Workspace.create(join(tempDir(t, 'tachyon-sdk-'), 'ws'), { name: 'sdk-test' });
  t.after(() => ws.close());
  return ws;
}

const hasCode = (code: string) => (e: unknown) => (e as { code?: unknown }).code === code;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('Workspace.create then Workspace.fromConfig (folder, file, working directory); adminKey', async (t) => {
  const ws = await workspace(t);
  assert.equal(ws.name, 'sdk-test');
  const key = await ws.adminKey();
  assert.match(key, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(join(ws.root, '.tachyon', 'admin.key')).mode & 0o777, 0o600);

  const byFolder = await Workspace.fromConfig(ws.root);
  const byFile = await Workspace.fromConfig(join(ws.root, 'tachyon.json'));
  t.after(() => Promise.all([byFolder.close(), byFile.close()]));
  assert.deepEqual([byFolder.name, byFile.name], ['sdk-test', 'sdk-test']);
  assert.equal(await byFolder.adminKey(), key);

  const sub = join(ws.root, 'notebooks', 'day1');
  mkdirSync(sub, { recursive: true });
  const cwd = process.cwd();
  process.chdir(sub);
  try {
    const found = await Workspace.fromConfig();
    assert.equal(found.root, ws.root);
    await found.close();
  } finally {
    process.chdir(cwd);
  }
  await assert.rejects(Workspace.fromConfig(tempDir(t, 'tachyon-sdk-')), hasCode('TCH_ERR_WORKSPACE_NOT_FOUND'));
  await assert.rejects(Workspace.create(ws.root), hasCode('TCH_ERR_WORKSPACE_EXISTS'));
});

test('Model.register / get / list: versions 1, 2, ... with every field', async (t) => {
  const ws = await workspace(t);
  const m1 = await Model.register(ws, SQUEEZENET, 'squeezenet', {
    description: 'SqueezeNet 1.1',
    tags: { stage: 'dev' },
    properties: { top1: '56.3' },
  });
  assert.deepEqual(
    [m1.name, m1.version, m1.id, m1.kind, m1.description],
    ['squeezenet', 1, 'squeezenet:1', 'onnx', 'SqueezeNet 1.1'],
  );
  assert.equal(m1.sha256, sha256(SQUEEZENET));
  assert.equal(m1.size, statSync(SQUEEZENET).size);
  assert.deepEqual({ ...m1.tags }, { stage: 'dev' });
  assert.deepEqual({ ...m1.properties }, { top1: '56.3' });
  assert.ok(!Number.isNaN(Date.parse(m1.createdAt)));

  const m2 = await Model.register(ws, MOBILENET_INT8, 'squeezenet');
  assert.equal(m2.version, 2);
  assert.equal((await Model.get(ws, 'squeezenet')).version, 2);
  assert.equal((await Model.get(ws, 'squeezenet', 1)).sha256, m1.sha256);
  assert.equal((await Model.get(ws, 'squeezenet:1')).version, 1);
  assert.deepEqual(
    (await Model.list(ws)).map((m) => m.id),
    ['squeezenet:1', 'squeezenet:2'],
  );
  assert.deepEqual(
    (await Model.list(ws, { tag: { key: 'stage' } })).map((m) => m.id),
    ['squeezenet:1'],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(m1)).version, 1);
  await assert.rejects(Model.get(ws, 'squeezenet', 3), hasCode('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
  await assert.rejects(Model.register(ws, SQUEEZENET, 'SqueezeNet'), hasCode('TCH_ERR_REGISTRY_NAME_INVALID'));
  await assert.rejects(Model.register(ws, join(ws.root, 'nope.onnx'), 'x'), hasCode('TCH_ERR_IO_NOT_FOUND'));
  await assert.rejects(
    Model.register(ws, join(ws.root, 'tachyon.json'), 'x'),
    hasCode('TCH_ERR_REGISTRY_ARTIFACT_INVALID'),
  );
});

test('model.download, model.tag, model.delete (refused while deployed unless forced)', async (t) => {
  const ws = await workspace(t);
  const model = await Model.register(ws, SQUEEZENET, 'squeezenet');
  const out = join(tempDir(t, 'tachyon-sdk-'), 'copy.onnx');
  assert.equal(await model.download(out), out);
  assert.equal(sha256(out), model.sha256);

  await model.tag({ stage: 'prod' });
  assert.deepEqual({ ...model.tags }, { stage: 'prod' });
  await model.addTags({ owner: 'ana' });
  await model.removeTags(['stage']);
  assert.deepEqual({ ...(await Model.get(ws, 'squeezenet', 1)).tags }, { owner: 'ana' });

  const registry = await ws.registry();
  await registry.addDeploymentRef({ deployment: 'classifier-web', name: 'squeezenet', version: 1 });
  await assert.rejects(model.delete(), hasCode('TCH_ERR_REGISTRY_IN_USE'));
  const blob = await model.artifactPath();
  assert.ok(existsSync(blob));
  await model.delete({ force: true });
  assert.deepEqual(await Model.list(ws), []);
  assert.ok(!existsSync(blob));
  await assert.rejects(model.delete(), hasCode('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
});

test('a closed workspace refuses work; close is idempotent', async (t) => {
  const ws = await workspace(t);
  await Model.list(ws);
  await ws.close();
  await ws.close();
  await assert.rejects(Model.list(ws), TypeError);
});
