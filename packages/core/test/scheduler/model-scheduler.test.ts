import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelScheduler, compileSchedulerOptions } from '../../src/index.js';
import { deferred, harness, tick } from './scheduler-harness.js';

test('a lone request runs at once: execute() is called before any timer or immediate could fire', async () => {
  const { scheduler, calls, job, events } = harness();
  let seenByImmediate = -1;
  setImmediate(() => (seenByImmediate = calls.length));
  const pending = scheduler.submit(job('a'));
  await tick();
  assert.equal(seenByImmediate, 1);
  assert.deepEqual(scheduler.stats, { queued: 0, running: 1, busySlots: 1, concurrency: 1 });
  calls[0]!.finish();
  const out = await pending;
  assert.equal(out.result, 'r:a');
  assert.equal(out.batchRows, 1);
  assert.equal(out.batchRequests, 1);
  assert.ok(out.queueMs >= 0);
  assert.deepEqual(events, ['start 1/1']);
});

test('a batch forms only from jobs already waiting, and each job gets its own result back', async () => {
  const { scheduler, calls, job, batches, ends } = harness();
  const a = scheduler.submit(job('a'));
  await tick();
  // 'a' runs alone; b, c, d arrive while it runs and wait together.
  const rest = ['b', 'c', 'd'].map((p) => scheduler.submit(job(p, { rows: 2 })));
  await tick();
  assert.deepEqual(batches(), [['a']]);
  assert.equal(scheduler.stats.queued, 3);
  calls[0]!.finish();
  await a;
  await tick();
  assert.deepEqual(batches(), [['a'], ['b', 'c', 'd']]);
  calls[1]!.finish();
  const outs = await Promise.all(rest);
  assert.deepEqual(
    outs.map((o) => o.result),
    ['r:b', 'r:c', 'r:d'],
  );
  assert.deepEqual(
    outs.map((o) => [o.batchRows, o.batchRequests]),
    [
      [6, 3],
      [6, 3],
      [6, 3],
    ],
  );
  assert.deepEqual(
    ends.map((e) => [e.rows, e.requests, typeof e.ms, 'error' in e]),
    [
      [1, 1, 'number', false],
      [6, 3, 'number', false],
    ],
  );
});

test('concurrent submits prepared out of order: every job gets the result of its own payload', async () => {
  const { scheduler } = harness({ maxBatchSize: 5, concurrency: 2 }, true);
  const gates = Array.from({ length: 24 }, () => deferred<string>());
  const outs = gates.map((gate, i) => scheduler.submit({ rows: 1 + (i % 3), prepare: () => gate.promise }));
  // Resolve the preparations in a scrambled order, a few at a time.
  const order = gates.map((_, i) => (i * 7) % gates.length);
  for (const [k, i] of order.entries()) {
    gates[i]!.resolve(`p${i}`);
    if (k % 5 === 0) await tick();
  }
  const results = await Promise.all(outs);
  results.forEach((r, i) => {
    assert.equal(r.result, `r:p${i}`);
    assert.ok(r.batchRows <= 5 && r.batchRequests >= 1);
  });
  assert.ok(
    results.some((r) => r.batchRequests > 1),
    'some jobs were batched',
  );
});

test('maxBatchSize caps the rows of a batch; a job larger than it runs alone; FIFO is kept', async () => {
  const { scheduler, calls, job, batches } = harness({ maxBatchSize: 4 });
  const first = scheduler.submit(job('x'));
  const rows = { a: 2, b: 2, c: 1, d: 3, e: 5, f: 1 };
  const outs = Object.entries(rows).map(([p, n]) => scheduler.submit(job(p, { rows: n })));
  await tick();
  for (let i = 0; i < 5; i++) {
    calls[i]!.finish();
    await tick();
  }
  assert.deepEqual(batches(), [['x'], ['a', 'b'], ['c', 'd'], ['e'], ['f']]);
  await first;
  assert.deepEqual(
    (await Promise.all(outs)).map((o) => o.batchRows),
    [4, 4, 4, 4, 5, 1],
  );
});

test('preferredBatchSizes cut the batch at the largest preferred size reachable, else take what fits', async () => {
  const { scheduler, calls, job, batches } = harness({ maxBatchSize: 8, preferredBatchSizes: [2, 4] });
  const outs = [scheduler.submit(job('x'))];
  await tick();
  for (const p of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) outs.push(scheduler.submit(job(p)));
  await tick();
  for (let i = 0; i < 4; i++) {
    calls[i]!.finish();
    await tick();
  }
  assert.deepEqual(batches(), [['x'], ['a', 'b', 'c', 'd'], ['e', 'f'], ['g']]);
  await Promise.all(outs);
});

test('batching off: every job runs alone, in order', async () => {
  const { scheduler, calls, job, batches } = harness({ batching: false });
  const outs = ['a', 'b', 'c'].map((p) => scheduler.submit(job(p)));
  await tick();
  for (let i = 0; i < 3; i++) {
    calls[i]!.finish();
    await tick();
  }
  assert.deepEqual(batches(), [['a'], ['b'], ['c']]);
  assert.deepEqual(
    (await Promise.all(outs)).map((o) => o.batchRequests),
    [1, 1, 1],
  );
});

test('high jobs go before normal ones; FIFO by submission within a priority, whatever order prepare() ends in', async () => {
  const { scheduler, calls, job, batches } = harness({ maxBatchSize: 3 });
  const outs = [scheduler.submit(job('x'))];
  await tick();
  const late = deferred<string>();
  outs.push(scheduler.submit({ rows: 1, prepare: () => late.promise })); // n1, ready last
  outs.push(scheduler.submit(job('n2')));
  outs.push(scheduler.submit(job('h1', { priority: 'high' })));
  outs.push(scheduler.submit(job('n3')));
  outs.push(scheduler.submit(job('h2', { priority: 'high' })));
  await tick();
  late.resolve('n1');
  await tick();
  calls[0]!.finish();
  await tick();
  calls[1]!.finish();
  await tick();
  assert.deepEqual(batches(), [['x'], ['h1', 'h2', 'n1'], ['n2', 'n3']]);
  calls[2]!.finish();
  await Promise.all(outs);
});

test('concurrency 2 runs two batches at once; a third waits for a free slot', async () => {
  const { scheduler, calls, job, batches } = harness({ concurrency: 2, maxBatchSize: 1 });
  const outs = ['a', 'b', 'c'].map((p) => scheduler.submit(job(p)));
  await tick();
  assert.deepEqual(batches(), [['a'], ['b']]);
  assert.deepEqual(scheduler.stats, { queued: 1, running: 2, busySlots: 2, concurrency: 2 });
  calls[1]!.finish();
  await tick();
  assert.deepEqual(batches(), [['a'], ['b'], ['c']]);
  calls[0]!.finish();
  calls[2]!.finish();
  assert.deepEqual(
    (await Promise.all(outs)).map((o) => o.result),
    ['r:a', 'r:b', 'r:c'],
  );
  assert.deepEqual(scheduler.stats, { queued: 0, running: 0, busySlots: 0, concurrency: 2 });
});

test('maxQueueDelayMs holds a lone job for company; a full batch goes at once; drain flushes', async () => {
  const { scheduler, calls, job, batches } = harness({ maxQueueDelayMs: 60_000, maxBatchSize: 2 });
  const a = scheduler.submit(job('a'));
  await tick();
  assert.deepEqual(batches(), [], 'held for the batch to fill');
  const b = scheduler.submit(job('b'));
  await tick();
  assert.deepEqual(batches(), [['a', 'b']]);
  calls[0]!.finish();
  await Promise.all([a, b]);
  const c = scheduler.submit(job('c'));
  await tick();
  assert.equal(calls.length, 1);
  const drained = scheduler.drain();
  assert.deepEqual(batches(), [['a', 'b'], ['c']], 'nothing more can arrive once draining');
  calls[1]!.finish();
  await c;
  await drained;
});

test('maxQueueDelayMs: a lone job runs by itself once the delay has passed', async () => {
  const { scheduler, job } = harness({ maxQueueDelayMs: 5, maxBatchSize: 4 }, true);
  const out = await scheduler.submit(job('a'));
  assert.equal(out.result, 'r:a');
  assert.equal(out.batchRequests, 1);
});

test('misuse of the API throws TypeError/RangeError naming the argument', async () => {
  const config = compileSchedulerOptions();
  assert.throws(() => new ModelScheduler('m', 'no' as never, config), /execute/);
  assert.throws(() => new ModelScheduler('', async (b) => b, config), /name/);
  const s = new ModelScheduler<string, string>('m', async (b) => b, config);
  const prepare = async (): Promise<string> => 'x';
  assert.throws(
    () => s.submit({ rows: 0, prepare }),
    (e: unknown) => e instanceof RangeError && /job\.rows/.test(e.message),
  );
  assert.throws(
    () => s.submit({ rows: 1, priority: 'urgent' as never, prepare }),
    (e: unknown) => e instanceof RangeError && /job\.priority/.test(e.message),
  );
  assert.throws(
    () => s.submit({ rows: 1, deadline: 'soon' as never, prepare }),
    (e: unknown) => e instanceof TypeError && /job\.deadline/.test(e.message),
  );
  assert.throws(
    () => s.submit({ rows: 1 } as never),
    (e: unknown) => e instanceof TypeError && /prepare/.test(e.message),
  );
  await s.drain(); // idle: resolves at once
});
