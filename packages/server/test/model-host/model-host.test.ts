import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError, type ErrorCode } from '@tachyon-serve/protocol';
import {
  FP32_FILE,
  INT8_FILE,
  REGISTERED,
  classify,
  createHost,
  modelFile,
  registryWorkspace,
  top1,
} from './registry-fixture.js';
import { ORANGE } from '@tachyon-serve/test-support';

const code = (c: ErrorCode) => (e: unknown) => isTachyonError(e, c);

test('registry source, version policy latest 2: both versions load; get() picks the newest, a version by number; metadata lists both', async (t) => {
  const ws = await registryWorkspace(t, [INT8_FILE, FP32_FILE]);
  const host = await createHost(t, { workspace: ws.dir });
  const newest = await host.load('cls', `registry:${REGISTERED}`, { versionPolicy: { latest: 2 } });
  assert.equal(newest.version, '2');
  assert.deepEqual(host.versions('cls'), ['1', '2']);
  assert.equal(host.get('cls').version, '2');
  assert.equal(host.get('cls', '1').version, '1');
  assert.deepEqual(host.metadata('cls', '1').versions, ['1', '2']);
  assert.throws(() => host.get('cls', '3'), code('TCH_ERR_MODEL_NOT_FOUND'));
  assert.throws(() => host.get('other'), code('TCH_ERR_MODEL_NOT_FOUND'));
  for (const version of ['1', '2']) {
    const answer = await classify(host, 'cls', version);
    assert.equal(answer.modelVersion, version);
    assert.equal(top1(answer), ORANGE.index);
  }
  assert.deepEqual(await host.index(), [
    { name: 'cls', version: '1', state: 'READY' },
    { name: 'cls', version: '2', state: 'READY' },
  ]);

  // A new policy: what it still selects stays loaded (the same instance), the rest is unloaded after.
  const v1 = host.get('cls', '1');
  await host.load('cls', undefined, { versionPolicy: { specific: ['1'] } });
  assert.equal(host.get('cls'), v1);
  assert.deepEqual(host.versions('cls'), ['1']);
  assert.deepEqual(await host.index(), [
    { name: 'cls', version: '1', state: 'READY' },
    { name: 'cls', version: '2', state: 'UNAVAILABLE', reason: 'not loaded' },
  ]);
  // A policy naming a version that is not registered changes nothing.
  await assert.rejects(
    host.load('cls', undefined, { versionPolicy: { specific: ['1', '7'] } }),
    code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'),
  );
  assert.deepEqual(host.versions('cls'), ['1']);
  assert.match(
    (await host.index()).find((r) => r.state === 'UNAVAILABLE' && r.version === undefined)?.reason ?? '',
    /TCH_ERR_REGISTRY_MODEL_NOT_FOUND/,
  );
});

test('a version policy needs a registry source, and a registry source needs a workspace', async (t) => {
  const host = await createHost(t);
  assert.equal(host.hasRegistry, false);
  await assert.rejects(
    host.load('m', 'mobilenetv2-int8', { versionPolicy: { latest: 2 } }),
    code('TCH_ERR_CONFIG_INVALID'),
  );
  await assert.rejects(host.load('m', `registry:${REGISTERED}`), code('TCH_ERR_CONFIG_INVALID'));
  await assert.rejects(host.load('m'), code('TCH_ERR_CONFIG_INVALID'));
  assert.deepEqual(host.names(), []);
  // Non-registry sources are version "1".
  const model = await host.load('m', modelFile(INT8_FILE));
  assert.equal(model.version, '1');
  assert.deepEqual(host.metadata('m').versions, ['1']);
});

test('unload while requests are in flight: the admitted ones succeed, later ones get TCH_ERR_MODEL_NOT_FOUND', async (t) => {
  const host = await createHost(t);
  await host.load('m', 'mobilenetv2-int8');
  // infer() admits a request into the model's queue synchronously, so these are in flight before unload starts.
  const inFlight = Array.from({ length: 6 }, () => classify(host, 'm'));
  const unloading = host.unload('m');
  await new Promise(setImmediate); // unload starts on the next turn: it queues behind other operations on 'm'
  assert.throws(() => host.get('m'), code('TCH_ERR_MODEL_UNLOADING'));
  await assert.rejects(classify(host, 'm'), code('TCH_ERR_MODEL_UNLOADING'));
  const answers = await Promise.all(inFlight);
  for (const answer of answers) assert.equal(top1(answer), ORANGE.index);
  await unloading;
  await assert.rejects(classify(host, 'm'), code('TCH_ERR_MODEL_NOT_FOUND'));
  assert.deepEqual(host.names(), []);
  assert.deepEqual(host.usage(), { bytes: 0, versions: 0 });
  await assert.rejects(host.unload('m'), code('TCH_ERR_MODEL_NOT_FOUND'));
});

test('reloading a file source swaps version "1" with no gap; a second load of the same name waits for the first', async (t) => {
  const host = await createHost(t);
  const first = await host.load('m', 'mobilenetv2-int8');
  const loads = [host.load('m', modelFile(FP32_FILE)), host.load('m')];
  // While the reload runs the old instance keeps answering.
  assert.equal(host.get('m'), first);
  assert.equal((await classify(host, 'm')).modelVersion, '1');
  const [second, third] = await Promise.all(loads);
  assert.notEqual(second, first);
  assert.notEqual(third, second, 'the second load ran after the first, with the current source');
  assert.equal(host.get('m'), third);
  assert.deepEqual(await host.index(), [{ name: 'm', version: '1', state: 'READY' }]);
  assert.equal(host.usage().versions, 1);
});

test('budget: a load beyond memoryBudgetBytes or maxLoadedVersions is refused before anything loads', async (t) => {
  const ws = await registryWorkspace(t, [INT8_FILE, FP32_FILE]);
  const tiny = await createHost(t, { workspace: ws.dir, control: { memoryBudgetBytes: 1_000_000 } });
  const refused = await tiny.load('cls', `registry:${REGISTERED}`).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isTachyonError(refused, 'TCH_ERR_MODEL_BUDGET_EXCEEDED'), String(refused));
  const fp32Bytes = (await ws.registry.get(REGISTERED, 2)).size;
  // workers (1) + 1 copies of the file.
  assert.deepEqual(
    { needed: refused.details?.['needed'], available: refused.details?.['available'] },
    { needed: fp32Bytes * 2, available: 1_000_000 },
  );
  assert.deepEqual(tiny.names(), []);
  assert.deepEqual(tiny.usage(), { bytes: 0, versions: 0 });

  const one = await createHost(t, { workspace: ws.dir, control: { maxLoadedVersions: 1 } });
  await one.load('cls', `registry:${REGISTERED}`);
  await assert.rejects(
    one.load('cls', undefined, { versionPolicy: { latest: 2 } }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_MODEL_BUDGET_EXCEEDED') && e.details?.['available'] === 0,
  );
  assert.deepEqual(one.versions('cls'), ['2'], 'the served version stays');
  assert.equal((await classify(one, 'cls')).modelVersion, '2');
});

test('load timeout: TCH_ERR_MODEL_LOAD_TIMEOUT, and the abandoned load is released once it settles', async (t) => {
  const ws = await registryWorkspace(t);
  const host = await createHost(t, { workspace: ws.dir, control: { loadTimeoutMs: 1 } });
  await assert.rejects(
    host.load('cls', `registry:${REGISTERED}`),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_MODEL_LOAD_TIMEOUT') && e.details?.['loadTimeoutMs'] === 1,
  );
  assert.throws(() => host.get('cls'), code('TCH_ERR_MODEL_NOT_READY'));
  const [row] = await host.index();
  assert.equal(row?.state, 'UNAVAILABLE');
  assert.match(row?.reason ?? '', /TCH_ERR_MODEL_LOAD_TIMEOUT/);
  await host.settled();
  assert.deepEqual(host.usage(), { bytes: 0, versions: 0 }, 'nothing is held once the abandoned load settled');
  assert.equal(host.isReady('cls'), false);
  await host.unload('cls');
  // Not served any more: the registered version is listed under its registry name.
  assert.deepEqual(await host.index(), [
    { name: REGISTERED, version: '1', state: 'UNAVAILABLE', reason: 'not loaded' },
  ]);
});

test('readiness: during startup every model must be ready; after markStarted() an empty host is ready', async (t) => {
  const host = await createHost(t);
  assert.equal(host.isReady(), false);
  await host.load('m', 'mobilenetv2-int8');
  assert.equal(host.isReady(), true);
  await host.unload('m');
  assert.equal(host.isReady(), false);
  host.markStarted();
  assert.equal(host.isReady(), true);
  assert.equal(host.isReady('m'), false);
});
