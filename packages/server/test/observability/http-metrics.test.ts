import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { Observability } from '../../src/observability/observability.js';
import type { MetricsHistory } from '../../src/observability/metrics-history.js';
import { ADMIN, MODEL, PRIMARY, SECONDARY, bearer, httpApp, sharedHost } from '../support/http-fixture.js';
import { parsePrometheus, sampleValue } from './prometheus-text.js';
import { ORANGE, sampleImage } from '@tachyon-serve/test-support';

const host = sharedHost();
const orange = sampleImage(ORANGE.file);
const classify = (headers: Record<string, string>, payload: Buffer = orange, model = MODEL) => ({
  method: 'POST' as const,
  url: `/v1/services/${model}/classify`,
  headers: { 'content-type': 'image/jpeg', ...headers },
  payload,
});
const kserve = (headers: Record<string, string>, input = 'images') => ({
  method: 'POST' as const,
  url: `/v2/models/${MODEL}/infer`,
  headers,
  payload: { inputs: [{ name: input, datatype: 'BYTES', shape: [1], data: [{ b64: orange.toString('base64') }] }] },
});

test('metrics: requests by model, protocol and code, stage histograms, gauges and the history', async (t) => {
  const app = await httpApp(t, host());
  const codes: { protocol: string; model: string; code: string }[] = [];
  const send = async (protocol: string, model: string, request: InjectOptions) => {
    const res = await app.inject(request);
    codes.push({ protocol, model, code: res.statusCode === 200 ? 'OK' : (res.json() as { code: string }).code });
    return res;
  };
  assert.equal((await send('raw', MODEL, classify(bearer()))).statusCode, 200);
  assert.equal((await send('raw', MODEL, classify(bearer(), Buffer.from('not an image at all')))).statusCode, 400);
  assert.equal(
    (await send('raw', '_unknown', classify(bearer(), orange, 'no-such-model'))).statusCode,
    404,
    'a made-up name is counted as _unknown',
  );
  assert.equal((await send('kserve-http', MODEL, kserve(bearer(SECONDARY)))).statusCode, 200);
  assert.equal((await send('kserve-http', MODEL, kserve(bearer(), 'pixels'))).statusCode, 400);
  assert.equal((await send('kserve-http', MODEL, kserve(bearer('a-wrong-key-0123456789')))).statusCode, 401);
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode,
    200,
    'not an inference request: not counted',
  );

  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401, '/metrics needs the admin key');
  assert.equal(
    (await app.inject({ method: 'GET', url: '/metrics', headers: bearer(PRIMARY) })).statusCode,
    401,
    'a service key is not enough',
  );
  const scrape = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) });
  assert.equal(scrape.statusCode, 200);
  assert.match(String(scrape.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const samples = parsePrometheus(scrape.body);

  const expected = new Map<string, number>();
  for (const c of codes) expected.set(JSON.stringify(c), (expected.get(JSON.stringify(c)) ?? 0) + 1);
  const counted = samples.filter((s) => s.name === 'tachyon_requests_total');
  assert.deepEqual(
    new Map(
      counted.map((s) => [
        JSON.stringify({ protocol: s.labels['protocol'], model: s.labels['model'], code: s.labels['code'] }),
        s.value,
      ]),
    ),
    expected,
    'one count per request, with the code the client got',
  );
  assert.ok(
    codes.some((c) => c.code === 'TCH_ERR_AUTH_INVALID') && codes.some((c) => c.code === 'TCH_ERR_INFER_INVALID'),
  );

  for (const protocol of ['raw', 'kserve-http']) {
    for (const stage of ['queue', 'preprocess', 'compute', 'postprocess']) {
      const labels = { model: MODEL, protocol, stage };
      assert.equal(
        sampleValue(samples, 'tachyon_request_stage_duration_seconds_count', labels),
        1,
        `${protocol} ${stage}: the one successful request`,
      );
      assert.equal(sampleValue(samples, 'tachyon_request_stage_duration_seconds_bucket', { ...labels, le: '+Inf' }), 1);
    }
    assert.ok(
      sampleValue(samples, 'tachyon_request_stage_duration_seconds_sum', {
        model: MODEL,
        protocol,
        stage: 'compute',
      })! > 0,
    );
    assert.equal(
      sampleValue(samples, 'tachyon_request_stage_duration_seconds_count', { model: MODEL, protocol, stage: 'total' }),
      undefined,
      'total is not a stage',
    );
    assert.equal(
      sampleValue(samples, 'tachyon_request_duration_seconds_count', { model: MODEL, protocol }),
      1,
      'total latency: its own histogram',
    );
    const total = sampleValue(samples, 'tachyon_request_duration_seconds_sum', { model: MODEL, protocol })!;
    assert.ok(
      total >=
        sampleValue(samples, 'tachyon_request_stage_duration_seconds_sum', {
          model: MODEL,
          protocol,
          stage: 'compute',
        })!,
    );
  }
  assert.ok(
    samples.some((s) => s.name === 'process_cpu_user_seconds_total'),
    'default process metrics',
  );
  assert.ok(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes'));

  // What the lead wires to the scheduler: queue stats read on each scrape, and one recordBatch per session call.
  const metrics = app.tachyon.observability.metrics;
  metrics.setQueueSource(() => [{ model: MODEL, queued: 3, running: 2, busySlots: 1, concurrency: 2 }]);
  metrics.recordBatch(MODEL, 4);
  metrics.recordBatch(MODEL, 2);
  const second = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) })).body);
  assert.equal(sampleValue(second, 'tachyon_queue_depth', { model: MODEL }), 3);
  assert.equal(sampleValue(second, 'tachyon_requests_running', { model: MODEL }), 2);
  assert.equal(sampleValue(second, 'tachyon_sessions_busy', { model: MODEL }), 1);
  assert.equal(sampleValue(second, 'tachyon_session_slots', { model: MODEL }), 2);
  assert.equal(sampleValue(second, 'tachyon_batch_size_count', { model: MODEL }), 2);
  assert.equal(sampleValue(second, 'tachyon_batch_size_sum', { model: MODEL }), 6);
  assert.equal(sampleValue(second, 'tachyon_batch_size_bucket', { model: MODEL, le: '2' }), 1);

  const res = await app.inject({ method: 'GET', url: '/v2/metrics/history', headers: bearer(ADMIN) });
  assert.equal(res.statusCode, 200);
  const history = res.json() as MetricsHistory;
  assert.equal(history.bucketSeconds, 10);
  assert.ok(
    history.buckets.length >= 1 && history.buckets.length <= 2,
    'the requests fall in one bucket (two if a boundary passed)',
  );
  const sum = (pick: (m: MetricsHistory['buckets'][number]['models'][string]) => number) =>
    history.buckets.reduce((n, b) => n + (b.models[MODEL] ? pick(b.models[MODEL]) : 0), 0);
  assert.equal(
    sum((m) => m.requests),
    5,
  );
  assert.equal(
    sum((m) => m.errors),
    3,
  );
  const last = history.buckets.at(-1)!.models[MODEL]!;
  assert.equal(last.meanBatchSize, 3);
  const withLatency = history.buckets.map((b) => b.models[MODEL]?.latencyMs).filter((l) => l != null);
  assert.ok(withLatency.length >= 1);
  for (const l of withLatency) assert.ok(l!.p50 > 0 && l!.p50 <= l!.p90 && l!.p90 <= l!.p99, JSON.stringify(l));
  assert.equal(
    history.buckets.reduce((n, b) => n + (b.models['_unknown']?.requests ?? 0), 0),
    1,
  );
  for (let i = 1; i < history.buckets.length; i++)
    assert.ok(history.buckets[i]!.start > history.buckets[i - 1]!.start, 'oldest first');
});

test('metrics disabled: both routes are 404; auth off: they are open', async (t) => {
  const observability = new Observability({ metrics: { enabled: false } });
  t.after(() => observability.close());
  const off = await httpApp(t, host(), {}, { observability });
  for (const url of ['/metrics', '/v2/metrics/history']) {
    const res = await off.inject({ method: 'GET', url, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().code, 'TCH_ERR_IO_NOT_FOUND');
  }
  assert.equal((await off.inject(classify(bearer()))).statusCode, 200, 'serving is unaffected');
  assert.equal(await observability.metrics.render(), '');

  const open = await httpApp(t, host(), { auth: 'none' });
  assert.equal((await open.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
  assert.equal((await open.inject({ method: 'GET', url: '/v2/metrics/history' })).json().bucketSeconds, 10);
});

test('traceparent: the caller trace continues with a new server span; bad or absent ones start a fresh trace', async (t) => {
  const app = await httpApp(t, host());
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const parse = (value: unknown) => {
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(String(value));
    assert.ok(m, `response traceparent ${String(value)}`);
    return { traceId: m[1]!, spanId: m[2]!, flags: m[3]! };
  };

  const ok = await app.inject(
    classify({ ...bearer(), traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'vendor=abc' }),
  );
  assert.equal(ok.statusCode, 200);
  const child = parse(ok.headers['traceparent']);
  assert.equal(child.traceId, callerTrace);
  assert.notEqual(child.spanId, callerSpan);
  assert.equal(child.flags, '01', "the caller's sampled flag is followed");

  const refused = await app.inject(
    classify({ ...bearer('wrong-key-0123456789abcdef'), traceparent: `00-${callerTrace}-${callerSpan}-00` }),
  );
  assert.equal(refused.statusCode, 401);
  const refusedSpan = parse(refused.headers['traceparent']);
  assert.equal(refusedSpan.traceId, callerTrace, 'refusals carry the trace too');
  assert.equal(refusedSpan.flags, '00');
  assert.notEqual(refusedSpan.spanId, child.spanId, 'a new span per request');

  const invalid = [
    `00-${callerTrace.toUpperCase()}-${callerSpan}-01`,
    `00-${'0'.repeat(32)}-${callerSpan}-01`,
    `00-${callerTrace}-${'0'.repeat(16)}-01`,
    `ff-${callerTrace}-${callerSpan}-01`,
    `00-${callerTrace}-${callerSpan}-01-extra`,
    `00-${callerTrace}-${callerSpan}`,
    'garbage',
  ];
  const seen = new Set<string>();
  for (const traceparent of [...invalid, undefined]) {
    const res = await app.inject({
      method: 'GET',
      url: '/v2',
      headers: traceparent === undefined ? {} : { traceparent },
    });
    assert.equal(res.statusCode, 200, `an invalid traceparent is ignored, never an error: ${traceparent}`);
    const fresh = parse(res.headers['traceparent']);
    assert.notEqual(fresh.traceId, callerTrace, String(traceparent));
    assert.ok(!seen.has(fresh.traceId), 'every fresh trace is new');
    seen.add(fresh.traceId);
    assert.equal(fresh.flags, '00', 'tracing off: fresh traces are not sampled');
  }
  // A later version with extra fields is read by its version-00 prefix, as the spec asks.
  const future = await app.inject({
    method: 'GET',
    url: '/v2',
    headers: { traceparent: `cc-${callerTrace}-${callerSpan}-01-what-comes-next` },
  });
  assert.equal(parse(future.headers['traceparent']).traceId, callerTrace);
});

test('CORS exposes traceparent to browsers', async (t) => {
  const app = await httpApp(t, host(), { cors: { origins: ['https://app.example'] } });
  const res = await app.inject({ method: 'GET', url: '/v2', headers: { origin: 'https://app.example' } });
  assert.match(String(res.headers['access-control-expose-headers']), /traceparent/);
});

test('logs: exactly one debug line per request, with id, method, url, model, status, code and ms; no key ever', async (t) => {
  const lines: string[] = [];
  const app = await httpApp(
    t,
    host(),
    { logLevel: 'debug' },
    { logStream: { write: (line) => void lines.push(line) } },
  );
  await app.inject(classify({ ...bearer(PRIMARY), 'x-request-id': 'obs-1' }));
  await app.inject(classify({ ...bearer('WRONG-KEY-wrong-key-wrong-key'), 'x-request-id': 'obs-2' }));
  await app.inject({ method: 'GET', url: '/metrics', headers: { ...bearer(ADMIN), 'x-request-id': 'obs-3' } });
  await app.inject({ method: 'GET', url: '/nowhere', headers: { ...bearer(SECONDARY), 'x-request-id': 'obs-4' } });
  const all = lines.join('');
  for (const secret of [PRIMARY, SECONDARY, ADMIN, 'WRONG-KEY'])
    assert.ok(!all.includes(secret), `a key leaked into the logs: ${secret.slice(0, 6)}...`);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const of = (id: string) => parsed.filter((l) => l['reqId'] === id);
  for (const id of ['obs-1', 'obs-2', 'obs-3', 'obs-4'])
    assert.equal(of(id).length, 1, `${id}: ${JSON.stringify(of(id))}`);
  const ok = of('obs-1')[0]!;
  assert.equal(ok['level'], 20);
  assert.equal(ok['msg'], 'request');
  assert.deepEqual(
    { method: ok['method'], url: ok['url'], model: ok['model'], status: ok['status'], code: ok['code'] },
    { method: 'POST', url: `/v1/services/${MODEL}/classify`, model: MODEL, status: 200, code: 'OK' },
  );
  assert.ok(typeof ok['totalMs'] === 'number' && ok['totalMs'] > 0);
  assert.deepEqual([of('obs-2')[0]!['status'], of('obs-2')[0]!['code']], [401, 'TCH_ERR_AUTH_INVALID']);
  assert.match(String(of('obs-2')[0]!['error']), /key/i);
  assert.deepEqual([of('obs-4')[0]!['status'], of('obs-4')[0]!['code']], [404, 'TCH_ERR_IO_NOT_FOUND']);
  assert.ok(
    !parsed.some((l) => l['msg'] === 'incoming request' || l['msg'] === 'request completed'),
    "fastify's own request lines are off",
  );

  // At info (the default) a healthy request writes nothing.
  const quiet: string[] = [];
  const infoApp = await httpApp(
    t,
    host(),
    { logLevel: 'info' },
    { logStream: { write: (line) => void quiet.push(line) } },
  );
  assert.equal((await infoApp.inject(classify(bearer()))).statusCode, 200);
  assert.deepEqual(quiet, []);
});
