// Deadlines, priorities, shedding and batching through the HTTP API, with a deliberately slow model (one slot, so
// that while it runs the others must wait) and the real mobilenetv2-int8 (batching correctness).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import sharp from 'sharp';
import { compileModelSources, compileSchedulerOptions, type SchedulerOptions } from '@tachyon-serve/core';
import { ModelHost } from '@tachyon-serve/core';
import { bearer, httpApp } from '../support/http-fixture.js';
import { sampleImage, sharedDir } from '@tachyon-serve/test-support';
import { createSlowService } from '@tachyon-serve/test-support/models';

/** Layers of the slow model: tens of milliseconds a call here, far longer than submitting a few requests takes. */
const SLOW_DEPTH = 120;

async function slowHost(t: TestContext, scheduler: SchedulerOptions): Promise<ModelHost> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-scheduling-'));
  const zip = await createSlowService(dir, SLOW_DEPTH);
  const host = await ModelHost.create({
    sources: compileModelSources({ cacheDir: join(dir, 'cache'), allowDownload: false, env: {} }),
    pool: { workers: 1, intraOpThreads: 1 },
  });
  t.after(async () => {
    await host.close();
    await rm(dir, { recursive: true, force: true });
  });
  await host.load(
    'slow',
    { kind: 'service-definition', path: zip },
    { scheduler: compileSchedulerOptions({ concurrency: 1, ...scheduler }) },
  );
  return host;
}

const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 30, b: 90 } } })
  .jpeg()
  .toBuffer();

function classify(
  app: Awaited<ReturnType<typeof httpApp>>,
  model: string,
  body: Buffer,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: `/v1/services/${model}/classify`,
    headers: { ...bearer(), 'content-type': 'image/jpeg', ...headers },
    payload: body,
  });
}

test('an expired request gets 504 TCH_ERR_DEADLINE_EXCEEDED and never reaches the model', async (t) => {
  const host = await slowHost(t, { batching: false });
  const app = await httpApp(t, host);
  const scheduler = host.get('slow').scheduler;
  const busy = classify(app, 'slow', tiny);
  await new Promise((r) => setImmediate(r));
  const expired = await classify(app, 'slow', tiny, { 'x-request-timeout-ms': '1' });
  assert.equal(expired.statusCode, 504);
  assert.equal(expired.json().code, 'TCH_ERR_DEADLINE_EXCEEDED');
  // The same details whether the scheduler or the HTTP timer saw the deadline first: the caller's own number.
  assert.deepEqual(expired.json().details, { timeoutMs: 1 });
  assert.equal((await busy).statusCode, 200);
  // The expired request left nothing behind: nothing queued or running once the busy one answered.
  assert.deepEqual({ queued: scheduler.stats.queued, running: scheduler.stats.running }, { queued: 0, running: 0 });
  // A generous deadline is met.
  const ok = await classify(app, 'slow', tiny, { 'x-request-timeout-ms': '60000' });
  assert.equal(ok.statusCode, 200);
});

test('x-request-priority: high requests overtake normal ones waiting for the same model', async (t) => {
  const host = await slowHost(t, { batching: false });
  const app = await httpApp(t, host);
  const order: string[] = [];
  const send = (name: string, priority?: string) =>
    classify(app, 'slow', tiny, priority ? { 'x-request-priority': priority } : {}).then((res) => {
      assert.equal(res.statusCode, 200, res.body);
      order.push(name);
    });
  const busy = send('busy');
  // Wait until it runs (not for a fixed time: the machine may be slow), so that the others queue behind it.
  const scheduler = host.get('slow').scheduler;
  while (scheduler.stats.running === 0) await new Promise((r) => setTimeout(r, 1));
  const rest = [send('normal-1'), send('normal-2'), send('high', 'high')];
  await Promise.all([busy, ...rest]);
  assert.equal(order[0], 'busy');
  assert.ok(
    order.indexOf('high') < order.indexOf('normal-1') && order.indexOf('high') < order.indexOf('normal-2'),
    order.join(', '),
  );
  assert.deepEqual(order.slice(-2), ['normal-1', 'normal-2']);

  const bad = await classify(app, 'slow', tiny, { 'x-request-priority': 'urgent' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'TCH_ERR_INFER_INVALID');
});

test('a full queue sheds with 429 TCH_ERR_QUEUE_FULL; every admitted request is answered', async (t) => {
  const host = await slowHost(t, { batching: false, maxQueueSize: 2 });
  const app = await httpApp(t, host);
  const answers = await Promise.all(Array.from({ length: 12 }, () => classify(app, 'slow', tiny)));
  const statuses = answers.map((a) => a.statusCode);
  const shed = answers.filter((a) => a.statusCode === 429);
  assert.ok(shed.length >= 1, `statuses: ${statuses.join(',')}`);
  assert.ok(
    statuses.every((s) => s === 200 || s === 429),
    `statuses: ${statuses.join(',')}`,
  );
  for (const a of shed) assert.equal(a.json().code, 'TCH_ERR_QUEUE_FULL');
  assert.ok(answers.some((a) => a.statusCode === 200));
  // The queue bound holds: at most one running and two waiting, so at least 12 - 3 of a burst are refused unless
  // some finished while the burst was still arriving.
  const after = await classify(app, 'slow', tiny);
  assert.equal(after.statusCode, 200);
});

test('dynamic batching under concurrent load: every request gets its own rows back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-scheduling-'));
  const host = await ModelHost.create({
    sources: compileModelSources({
      cacheDir: join(dir, 'cache'),
      modelPath: [join(sharedDir(), 'models')],
      allowDownload: false,
      env: {},
    }),
    pool: { workers: 1, intraOpThreads: 2, oversubscribe: true },
  });
  t.after(async () => {
    await host.close();
    await rm(dir, { recursive: true, force: true });
  });
  await host.load(
    'batched',
    { kind: 'model', ref: 'mobilenetv2-int8' },
    { scheduler: compileSchedulerOptions({ maxBatchSize: 8 }) },
  );
  await host.load(
    'single',
    { kind: 'model', ref: 'mobilenetv2-int8' },
    { scheduler: compileSchedulerOptions({ batching: false }) },
  );
  const app = await httpApp(t, host);
  const names = [
    'n01440764_tench.JPEG',
    'n02123045_tabby.JPEG',
    'n03417042_garbage_truck.JPEG',
    'n07747607_orange.JPEG',
  ];
  const images = names.map(sampleImage);
  const expected: { index: number; score: number }[][] = [];
  for (const image of images) expected.push((await classify(app, 'single', image)).json().results[0].top);
  const load = Array.from({ length: 16 }, (_, i) => i % images.length);
  const answers = await Promise.all(load.map((i) => classify(app, 'batched', images[i]!)));
  const batches = answers.map((a) => Number(/batch;desc="(\d+)"/.exec(String(a.headers['server-timing']))?.[1]));
  answers.forEach((a, j) => {
    assert.equal(a.statusCode, 200, a.body);
    const top = a.json().results[0].top as { index: number; score: number }[];
    const want = expected[load[j]!]!;
    assert.deepEqual(
      top.map((e) => e.index),
      want.map((e) => e.index),
      `request ${j} (${names[load[j]!]})`,
    );
    // int8 model: a batch may round differently from batch 1 by about one output quantization step.
    for (let k = 0; k < top.length; k++)
      assert.ok(Math.abs(top[k]!.score - want[k]!.score) < 0.02, `request ${j}: ${top[k]!.score} vs ${want[k]!.score}`);
  });
  assert.ok(Math.max(...batches) > 1, `batch rows seen: ${batches.join(',')}`);
  assert.ok(
    batches.every((b) => b >= 1 && b <= 8),
    `batch rows seen: ${batches.join(',')}`,
  );
});
