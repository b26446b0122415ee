// Webservice over a deployment control kept in memory (the daemon contract) whose services point at a real
// `tachyon serve` server started in this process (mobilenetv2-int8 from ../shared/models, keys required): the SDK's
// own logic — get-or-deploy, wait, keys, update, delete — and its run/classify paths over HTTP and gRPC.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { compileModelSources } from '@tachyon-serve/core';
import { createServeLogger, startServer, type RunningServer } from '@tachyon-serve/server';
import { Webservice, Workspace, isTachyonError } from '../src/index.js';
import { MemoryControl } from './support/memory-control.js';
import { sharedDir, tempDir } from '@tachyon-serve/test-support';

const SHARED = sharedDir();
const image = (file: string) => join(SHARED, 'images', 'imagenet-sample', file);
const TENCH = image('n01440764_tench.JPEG');
const GOLDFISH = image('n01443537_goldfish.JPEG');
const NAME = 'fish';
const MODEL = { name: 'mnv2', version: 1 };

interface Setup {
  ws: Workspace;
  control: MemoryControl;
  server: RunningServer;
  keys: { primary: string; secondary: string };
}

/** A real server serving NAME with known keys, and a workspace whose control "deploys" to it. */
async function setup(t: TestContext): Promise<Setup> {
  const dir = tempDir(t, 'tachyon-sdk-ws-');
  const keys = { primary: randomBytes(24).toString('base64url'), secondary: randomBytes(24).toString('base64url') };
  writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
  const server = await startServer({
    models: [{ name: NAME, source: 'mobilenetv2-int8' }],
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    keysFile: join(dir, 'keys.json'),
    sources: compileModelSources({
      cacheDir: join(dir, 'cache'),
      modelPath: [join(SHARED, 'models')],
      allowDownload: false,
      env: {},
    }),
    logger: createServeLogger({ write: () => undefined }),
  });
  t.after(() => server.close());
  const control = new MemoryControl((name) => ({
    httpUrl: server.httpUrl,
    grpcAddress: server.grpcAddress,
    scoringUri: `${server.httpUrl}/v1/services/${name}/classify`,
  }));
  control.keysByName.set(NAME, keys);
  const ws = await Workspace.create(join(dir, 'ws'), { name: 'sdk-webservice' }, { deployments: control });
  t.after(() => ws.close());
  return { ws, control, server, keys };
}

test('get-or-deploy: get throws a catchable TCH_ERR_SERVICE_NOT_FOUND; deployFromModel is idempotent', async (t) => {
  const { ws, control } = await setup(t);
  await assert.rejects(Webservice.get(ws, NAME), (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND'));
  const service = await Webservice.deployFromModel(ws, NAME, [MODEL], undefined, { workers: 1 });
  t.after(() => service.close());
  assert.equal(service.name, NAME);
  assert.equal(service.state, 'Healthy');
  assert.deepEqual(control.services.get(NAME)!.spec, { model: MODEL, workers: 1, tls: 'self-signed' });
  const again = await Webservice.deployFromModel(ws, NAME, [MODEL], undefined, { workers: 1 });
  assert.equal(again.status.generation, 1, 'the same spec changes nothing');
  assert.equal((await Webservice.get(ws, NAME)).scoringUri, service.scoringUri);
  assert.deepEqual(
    (await Webservice.list(ws)).map((s) => s.name),
    [NAME],
  );
  await assert.rejects(Webservice.deployFromModel(ws, NAME, [MODEL, MODEL]), RangeError);
  await assert.rejects(Webservice.deployFromModel(ws, 'Bad_Name', [MODEL]), /name: expected a service name/);
});

test('run gives every class confidence per image; classify gives labelled top-K; HTTP and gRPC agree', async (t) => {
  const { ws } = await setup(t);
  const service = await Webservice.deployFromModel(ws, NAME, [MODEL]);
  t.after(() => service.close());
  const scores = await service.run(TENCH);
  assert.ok(scores instanceof Float32Array && scores.length === 1000);
  assert.equal(scores.indexOf(Math.max(...scores)), 0, 'tench is class 0');
  const rows = await service.run([TENCH, GOLDFISH], { protocol: 'grpc' });
  assert.deepEqual(
    rows.map((r) => r.indexOf(Math.max(...r))),
    [0, 1],
  );
  assert.ok(Math.abs(rows[0]![0]! - scores[0]!) < 1e-6, 'same confidences over both protocols');

  for (const protocol of ['http', 'grpc'] as const) {
    const results = await service.classify([TENCH, GOLDFISH], { protocol, top: 3 });
    assert.deepEqual(
      results.map((r) => r.file),
      ['n01440764_tench.JPEG', 'n01443537_goldfish.JPEG'],
      protocol,
    );
    assert.deepEqual(
      results.map((r) => r.top[0]!.label),
      ['tench', 'goldfish'],
      protocol,
    );
    assert.equal(results[0]!.top.length, 3);
  }
  const one = await service.classify(TENCH, { key: 'secondary' });
  assert.equal(one.top[0]!.label, 'tench');
  for (const protocol of ['http', 'grpc'] as const) {
    await assert.rejects(
      service.run(TENCH, { protocol, key: 'not-the-key-0123456789' }),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_AUTH_INVALID'),
      protocol,
    );
  }
  await assert.rejects(service.run(join(tmpdir(), 'no-such-image.jpg')), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'),
  );
  await assert.rejects(service.run([] as string[]), TypeError);
});

test('waitForDeployment: progress on the output, Failed and time-outs are typed errors', async (t) => {
  const { ws, control } = await setup(t);
  const service = await Webservice.deployFromModel(ws, NAME, [MODEL]);
  t.after(() => service.close());
  control.script.push({ state: 'Transitioning' }, { state: 'Transitioning' }, { state: 'Healthy' });
  const lines: string[] = [];
  await service.waitForDeployment({ showOutput: true, pollMs: 1, output: { write: (s: string) => lines.push(s) } });
  assert.match(
    lines.join(''),
    /^service "fish": Transitioning\nservice "fish": Healthy\nservice "fish" is Healthy at http:\/\/127\.0\.0\.1:\d+\/v1\/services\/fish\/classify\n$/,
  );

  control.script.push({ state: 'Failed', reason: 'model failed to load' });
  control.logLines = ['boom'];
  await assert.rejects(service.waitForDeployment({ pollMs: 1 }), (e: unknown) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_DEPLOY_FAILED'));
    assert.match(e.message, /model failed to load/);
    assert.deepEqual(e.details?.['logs'], ['boom']);
    return true;
  });
  for (let i = 0; i < 1000; i++) control.script.push({ state: 'Transitioning' });
  await assert.rejects(service.waitForDeployment({ timeoutMs: 20, pollMs: 1 }), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_DEPLOY_TIMEOUT'),
  );
});

test('keys, logs, update (spec merged) and delete go to the control', async (t) => {
  const { ws, control, keys } = await setup(t);
  const service = await Webservice.deployFromModel(ws, NAME, [MODEL], undefined, { workers: 2, tls: 'none' });
  assert.deepEqual(await service.getKeys(), keys);
  const rotated = await service.regenerateKey('secondary');
  assert.equal(rotated.primary, keys.primary);
  assert.notEqual(rotated.secondary, keys.secondary);
  assert.deepEqual(await service.getLogs({ tail: 1 }), ['line 2']);
  await service.update({ model: 'mnv2:2' });
  assert.deepEqual(control.services.get(NAME)!.spec, { model: { name: 'mnv2', version: 2 }, workers: 2, tls: 'none' });
  assert.equal(service.status.generation, 2);
  assert.deepEqual(await service.delete(), ['process', 'files', 'row']);
  await assert.rejects(Webservice.get(ws, NAME), (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND'));
  await assert.rejects(service.regenerateKey('tertiary' as 'primary'), TypeError);
});
