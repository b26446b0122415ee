import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TachyonError } from '@tachyon-serve/protocol';
import { ModelScheduler, compileSchedulerOptions } from '../../src/index.js';
import { deferred, harness, hasCode, tick, track } from './scheduler-harness.js';

test('a full queue rejects at once without prepare(); a high job evicts the newest waiting normal one', async () => {
  const { scheduler, calls, job, batches, events, prepared } = harness({ maxQueueSize: 2 });
  const x = scheduler.submit(job('x'));
  await tick(); // x runs: no longer counted as queued
  const n1 = track(scheduler.submit(job('n1')));
  const n2Prepare = deferred<string>();
  const n2 = track(scheduler.submit({ rows: 1, prepare: () => n2Prepare.promise })); // still preparing
  await tick();
  assert.deepEqual(scheduler.stats, { queued: 2, running: 1, busySlots: 1, concurrency: 1 });

  await assert.rejects(scheduler.submit(job('n3')), (e: unknown) => {
    assert.ok(e instanceof TachyonError && e.code === 'TCH_ERR_QUEUE_FULL');
    assert.deepEqual(e.details, { model: 'm1', maxQueueSize: 2, queued: 2 });
    return true;
  });
  const h1 = scheduler.submit(job('h1', { priority: 'high' }));
  await tick();
  assert.ok(hasCode('TCH_ERR_QUEUE_FULL')(n2.error()), 'the newest normal job was evicted');
  assert.match((n2.error() as Error).message, /higher-priority request took/);
  assert.equal(n1.settled(), false);
  const h2 = scheduler.submit(job('h2', { priority: 'high' }));
  await tick();
  assert.ok(hasCode('TCH_ERR_QUEUE_FULL')(n1.error()));
  await assert.rejects(
    scheduler.submit(job('h3', { priority: 'high' })),
    hasCode('TCH_ERR_QUEUE_FULL'),
    'no normal job left to evict',
  );
  assert.deepEqual(prepared, ['x', 'n1', 'h1', 'h2'], 'prepare() is never called for a shed job');
  assert.deepEqual(
    events.filter((e) => e.startsWith('shed')),
    ['shed queue-full normal', 'shed queue-full normal', 'shed queue-full normal', 'shed queue-full high'],
  );

  n2Prepare.resolve('n2'); // too late: it was shed
  calls[0]!.finish();
  await x;
  await tick();
  calls[1]!.finish();
  assert.deepEqual(
    (await Promise.all([h1, h2])).map((o) => o.result),
    ['r:h1', 'r:h2'],
  );
  assert.deepEqual(batches(), [['x'], ['h1', 'h2']]);
});

test('a deadline already past rejects at submit without prepare()', async () => {
  const { scheduler, job, prepared, events, calls } = harness();
  await assert.rejects(
    scheduler.submit(job('late', { deadline: performance.now() - 1 })),
    hasCode('TCH_ERR_DEADLINE_EXCEEDED'),
  );
  assert.deepEqual(prepared, []);
  assert.deepEqual(events, ['shed deadline normal']);
  assert.equal(calls.length, 0);
});

test('a deadline passing while the job waits (ready or preparing) rejects it; execute() never sees it', async (t) => {
  // Deadline timers are unref'd: something else (a server's socket, here this interval) keeps the process alive.
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  const { scheduler, calls, job, batches, events } = harness();
  const x = scheduler.submit(job('x'));
  const ready = scheduler.submit(job('ready', { deadline: performance.now() + 10 }));
  const never = deferred<string>();
  const preparing = scheduler.submit({
    rows: 1,
    priority: 'high',
    deadline: performance.now() + 10,
    prepare: () => never.promise,
  });
  const other = scheduler.submit(job('other'));
  await assert.rejects(
    ready,
    (e: unknown) => hasCode('TCH_ERR_DEADLINE_EXCEEDED')(e) && /while it was queued/.test((e as Error).message),
  );
  await assert.rejects(preparing, hasCode('TCH_ERR_DEADLINE_EXCEEDED'));
  assert.equal(scheduler.stats.queued, 1, 'their queue places are free');
  never.resolve('preparing');
  calls[0]!.finish();
  await x;
  await tick();
  calls[1]!.finish();
  await other;
  assert.deepEqual(batches(), [['x'], ['other']]);
  assert.deepEqual(events.filter((e) => e.startsWith('shed')).sort(), ['shed deadline high', 'shed deadline normal']);
});

test('a deadline passing while the job runs answers it on time; its batch completes for the others', async (t) => {
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  const { scheduler, calls, job, batches, ends, events } = harness();
  const x = scheduler.submit(job('x'));
  await tick();
  // From here to the start of [a, b] only promise callbacks run: no timer can fire before the batch starts.
  const a = scheduler.submit(job('a', { deadline: performance.now() + 10 }));
  const b = track(scheduler.submit(job('b')));
  calls[0]!.finish();
  await x;
  assert.deepEqual(batches(), [['x'], ['a', 'b']]);
  await assert.rejects(
    a,
    (e: unknown) => hasCode('TCH_ERR_DEADLINE_EXCEEDED')(e) && /while it was running/.test((e as Error).message),
  );
  assert.equal(b.settled(), false);
  assert.equal(scheduler.stats.running, 2, 'the batch is still running');
  calls[1]!.finish();
  await tick();
  assert.equal(b.value()?.result, 'r:b');
  assert.equal(ends[1]?.error, undefined);
  assert.ok(!events.some((e) => e.startsWith('shed')), 'it ran: not shed');
});

test('a prepare() failure fails only its job, with its own error, and frees its queue place', async () => {
  const { scheduler, calls, job, batches } = harness({ maxQueueSize: 2 });
  const x = scheduler.submit(job('x'));
  await tick();
  const decodeError = new Error('decode failed');
  const bad = scheduler.submit({ rows: 1, prepare: () => Promise.reject(decodeError) });
  const good = scheduler.submit(job('good'));
  await assert.rejects(bad, (e: unknown) => e === decodeError);
  const throwing = new Error('sync throw');
  await assert.rejects(
    scheduler.submit({
      rows: 1,
      prepare: () => {
        throw throwing;
      },
    }),
    (e: unknown) => e === throwing,
  );
  assert.equal(scheduler.stats.queued, 1);
  const c = scheduler.submit(job('c')); // admitted: the failed jobs left no trace in the queue
  calls[0]!.finish();
  await x;
  await tick();
  calls[1]!.finish();
  assert.deepEqual(
    (await Promise.all([good, c])).map((o) => o.result),
    ['r:good', 'r:c'],
  );
  assert.deepEqual(batches(), [['x'], ['good', 'c']]);
});

test('execute() rejecting fails every job of its batch with that error; the next batch still runs', async () => {
  const { scheduler, calls, job, ends } = harness();
  const x = scheduler.submit(job('x'));
  const a = scheduler.submit(job('a'));
  const b = scheduler.submit(job('b'));
  await tick();
  calls[0]!.finish();
  await x;
  await tick();
  const boom = new Error('session failed');
  calls[1]!.done.reject(boom);
  await assert.rejects(a, (e: unknown) => e === boom);
  await assert.rejects(b, (e: unknown) => e === boom);
  assert.equal(ends[1]?.error, boom);
  assert.deepEqual([ends[1]?.rows, ends[1]?.requests], [2, 2]);
  const c = scheduler.submit(job('c'));
  await tick();
  calls[2]!.finish();
  assert.equal((await c).result, 'r:c');
});

test('execute() returning the wrong number of results fails the whole batch with a TypeError', async () => {
  const s = new ModelScheduler<number, number>('m2', async (batch) => batch.slice(1), compileSchedulerOptions());
  const outs = [1, 2, 3].map((n) => s.submit({ rows: 1, prepare: async () => n }));
  const errors = await Promise.allSettled(outs);
  // the first runs alone (0 results for 1), the others together (1 result for 2)
  for (const r of errors)
    assert.ok(
      r.status === 'rejected' && r.reason instanceof TypeError && /execute\(\) returned/.test(r.reason.message),
    );
});

test('drain() refuses new jobs and resolves once every admitted job settled', async () => {
  const { scheduler, calls, job } = harness();
  const jobs = ['x', 'a', 'b'].map((p) => scheduler.submit(job(p)));
  await tick();
  const drained = track(scheduler.drain());
  await assert.rejects(scheduler.submit(job('c')), hasCode('TCH_ERR_MODEL_UNLOADING'));
  calls[0]!.finish();
  await tick();
  assert.equal(drained.settled(), false, 'a and b are still running');
  calls[1]!.finish();
  assert.deepEqual(
    (await Promise.all(jobs)).map((o) => o.result),
    ['r:x', 'r:a', 'r:b'],
  );
  await tick();
  assert.equal(drained.settled(), true);
});

test('close() rejects every queued job with TCH_ERR_MODEL_UNLOADING; the running batch completes', async () => {
  const { scheduler, calls, job, batches } = harness();
  const x = scheduler.submit(job('x'));
  const a = scheduler.submit(job('a'));
  const b = scheduler.submit({ rows: 1, prepare: () => deferred<string>().promise });
  await tick();
  scheduler.close();
  await assert.rejects(a, hasCode('TCH_ERR_MODEL_UNLOADING'));
  await assert.rejects(b, hasCode('TCH_ERR_MODEL_UNLOADING'));
  await assert.rejects(scheduler.submit(job('c')), hasCode('TCH_ERR_MODEL_UNLOADING'));
  assert.equal(scheduler.stats.queued, 0);
  const drained = track(scheduler.drain());
  calls[0]!.finish();
  assert.equal((await x).result, 'r:x');
  await tick();
  assert.equal(drained.settled(), true);
  assert.deepEqual(batches(), [['x']]);
});

test('a throwing hook is reported as a warning and does not break scheduling', async (t) => {
  const s = new ModelScheduler<number, number>('m3', async (batch) => batch, compileSchedulerOptions(), {
    onBatchStart: () => {
      throw new Error('metrics down');
    },
  });
  const warnings: Error[] = [];
  const listener = (w: Error): number => warnings.push(w);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  assert.equal((await s.submit({ rows: 1, prepare: async () => 7 })).result, 7);
  await tick();
  assert.ok(warnings.some((w) => w.name === 'TachyonSchedulerWarning' && /hook of model "m3" threw/.test(w.message)));
});
