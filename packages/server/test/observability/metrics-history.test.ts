import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencySketch } from '../../src/observability/latency-sketch.js';
import { RollingHistory } from '../../src/observability/metrics-history.js';
import { ServerMetrics, UNKNOWN_MODEL } from '../../src/observability/server-metrics.js';
import { parseTraceparent, parseTracestate, startTrace } from '../../src/observability/trace-context.js';

test('LatencySketch quantiles are within 4.5 % of the exact ones, from 0.2 ms to 20 s', () => {
  const sketch = new LatencySketch();
  const values: number[] = [];
  // Deterministic log-uniform spread over five decades.
  for (let i = 0; i < 5000; i++) values.push(0.2 * 10 ** ((5 * ((i * 7919) % 5000)) / 5000));
  for (const v of values) sketch.add(v);
  values.sort((a, b) => a - b);
  for (const q of [0.01, 0.5, 0.9, 0.99, 1]) {
    const exact = values[Math.ceil(q * values.length) - 1]!;
    const got = sketch.quantile(q);
    assert.ok(Math.abs(got - exact) / exact <= 0.045, `q=${q}: ${got} vs ${exact}`);
  }
  assert.ok(Number.isNaN(new LatencySketch().quantile(0.5)));
});

test('RollingHistory: buckets by time, oldest first, window of N buckets, slots reused', () => {
  let now = 1_700_000_000_000;
  const history = new RollingHistory(10, 3, () => now);
  history.recordRequest('a', true, 5);
  history.recordRequest('a', false, undefined);
  history.recordBatch('a', 4);
  now += 10_000;
  history.recordRequest('b', true, 50);
  let snap = history.snapshot();
  assert.equal(snap.bucketSeconds, 10);
  assert.deepEqual(
    snap.buckets.map((b) => Object.keys(b.models)),
    [['a'], ['b']],
  );
  assert.equal(snap.buckets[0]!.start % 10_000, 0);
  assert.equal(snap.buckets[1]!.start - snap.buckets[0]!.start, 10_000);
  assert.deepEqual(snap.buckets[0]!.models['a'], {
    requests: 2,
    errors: 1,
    latencyMs: { p50: 5, p90: 5, p99: 5 },
    meanBatchSize: 4,
  });
  assert.equal(snap.buckets[1]!.models['b']!.meanBatchSize, null);
  now += 20_000; // the first bucket is now 3 buckets old: out of the window of 3
  snap = history.snapshot();
  assert.deepEqual(
    snap.buckets.map((b) => Object.keys(b.models)),
    [['b']],
  );
  history.recordRequest('c', true, 1); // reuses the first bucket's slot
  snap = history.snapshot();
  assert.deepEqual(
    snap.buckets.map((b) => Object.keys(b.models)),
    [['b'], ['c']],
  );
  assert.equal(snap.buckets[1]!.models['c']!.requests, 1);
});

test('ServerMetrics bounds the model label and ignores bad batch sizes', async () => {
  const metrics = new ServerMetrics({ knownModel: (name) => name === 'served' });
  metrics.recordRequest({ model: 'served', protocol: 'raw', code: 'OK' });
  metrics.recordRequest({ model: 'made-up', protocol: 'raw', code: 'TCH_ERR_MODEL_NOT_FOUND' });
  metrics.recordBatch('served', 0);
  const text = await metrics.render();
  assert.match(text, /tachyon_requests_total\{model="served",protocol="raw",code="OK"\} 1/);
  assert.match(
    text,
    new RegExp(`tachyon_requests_total\\{model="${UNKNOWN_MODEL}",protocol="raw",code="TCH_ERR_MODEL_NOT_FOUND"\\} 1`),
  );
  assert.doesNotMatch(text, /made-up/);
  assert.doesNotMatch(text, /tachyon_batch_size_count\{/);
  assert.throws(() => metrics.setQueueSource('nope' as never), TypeError);
  metrics.setQueueSource(() => {
    throw new Error('scheduler gone');
  });
  assert.doesNotMatch(
    await metrics.render(),
    /tachyon_queue_depth\{/,
    'a failing source yields no queue series, and no failed scrape',
  );
});

test('traceparent and tracestate parsing follows W3C Trace Context', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.deepEqual(parseTraceparent(`00-${id}-00f067aa0ba902b7-01`), {
    traceId: id,
    spanId: '00f067aa0ba902b7',
    sampled: true,
  });
  assert.equal(parseTraceparent(`00-${id}-00f067aa0ba902b7-02`)?.sampled, false);
  for (const bad of [
    undefined,
    42,
    '',
    `00-${id}-00f067aa0ba902b7-1`,
    `00-${id}-00f067aa0ba902b7-0g`,
    `0-${id}-00f067aa0ba902b7-01`,
    `00-${id}x-00f067aa0ba902b7-01`,
  ]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
  assert.equal(parseTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  assert.equal(parseTracestate('tenant@vendor=x'), 'tenant@vendor=x');
  for (const bad of [
    'Upper=1',
    'a=1,a=2',
    'novalue',
    'a=b=c',
    'a= ',
    Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','),
  ]) {
    assert.equal(parseTracestate(bad), undefined, bad);
  }
  const sampled = startTrace(undefined, undefined, { recording: true, sampleRatio: 1 });
  const never = startTrace(undefined, undefined, { recording: true, sampleRatio: 0 });
  assert.deepEqual([sampled.sampled, never.sampled, sampled.parentSpanId], [true, false, undefined]);
  const child = startTrace(`00-${id}-00f067aa0ba902b7-00`, 'a=1', { recording: true, sampleRatio: 1 });
  assert.deepEqual(
    [child.traceId, child.parentSpanId, child.sampled, child.traceState],
    [id, '00f067aa0ba902b7', false, 'a=1'],
  );
});
