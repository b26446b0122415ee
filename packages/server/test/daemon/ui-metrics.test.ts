import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketQuantile, errorLines, parsePrometheusText, summarizeMetrics } from '../../src/daemon/ui-metrics.js';

const TEXT = `# HELP tachyon_request_duration_seconds Server time
# TYPE tachyon_request_duration_seconds histogram
tachyon_request_duration_seconds_bucket{le="0.001",model="fish",protocol="raw",stage="compute"} 0
tachyon_request_duration_seconds_bucket{le="0.002",model="fish",protocol="raw",stage="compute"} 2
tachyon_request_duration_seconds_bucket{le="0.004",model="fish",protocol="raw",stage="compute"} 4
tachyon_request_duration_seconds_bucket{le="+Inf",model="fish",protocol="raw",stage="compute"} 4
tachyon_request_duration_seconds_sum{model="fish",protocol="raw",stage="compute"} 0.01
tachyon_request_duration_seconds_count{model="fish",protocol="raw",stage="compute"} 4
tachyon_request_duration_seconds_bucket{le="0.001",model="fish",protocol="kserve-grpc",stage="compute"} 0
tachyon_request_duration_seconds_bucket{le="0.002",model="fish",protocol="kserve-grpc",stage="compute"} 0
tachyon_request_duration_seconds_bucket{le="0.004",model="fish",protocol="kserve-grpc",stage="compute"} 4
tachyon_request_duration_seconds_bucket{le="+Inf",model="fish",protocol="kserve-grpc",stage="compute"} 4
tachyon_request_duration_seconds_sum{model="fish",protocol="kserve-grpc",stage="compute"} 0.014
tachyon_request_duration_seconds_count{model="fish",protocol="kserve-grpc",stage="compute"} 4
tachyon_request_duration_seconds_bucket{le="+Inf",model="other",protocol="raw",stage="compute"} 99
tachyon_batch_size_bucket{le="1",model="fish"} 3
tachyon_batch_size_bucket{le="2",model="fish"} 3
tachyon_batch_size_bucket{le="4",model="fish"} 5
tachyon_batch_size_bucket{le="+Inf",model="fish"} 5
tachyon_batch_size_sum{model="fish"} 9
tachyon_batch_size_count{model="fish"} 5
tachyon_requests_total{model="fish",protocol="raw",code="OK"} 4
tachyon_requests_total{model="fish",protocol="kserve-grpc",code="OK"} 4
tachyon_requests_total{model="fish",protocol="raw",code="TCH_ERR_AUTH_INVALID"} 2
tachyon_requests_total{model="_unknown",protocol="raw",code="TCH_ERR_MODEL_NOT_FOUND"} 7
`;

test('parsePrometheusText reads names, labels (escaped quotes too) and +Inf', () => {
  const samples = parsePrometheusText('a_total{x="q\\"uote",le="+Inf"} +Inf\n# comment\nb 2\n');
  assert.deepEqual(samples, [
    { name: 'a_total', labels: { x: 'q"uote', le: '+Inf' }, value: Infinity },
    { name: 'b', labels: {}, value: 2 },
  ]);
});

test('bucketQuantile interpolates inside the bucket holding the rank, like histogram_quantile', () => {
  const buckets = [
    { le: 1, cumulative: 0 },
    { le: 2, cumulative: 50 },
    { le: 4, cumulative: 100 },
    { le: Infinity, cumulative: 100 },
  ];
  assert.equal(bucketQuantile(0.5, buckets), 2);
  assert.equal(bucketQuantile(0.25, buckets), 1.5);
  assert.equal(bucketQuantile(0.75, buckets), 3);
  assert.equal(bucketQuantile(0.5, [{ le: Infinity, cumulative: 0 }]), null);
});

test('summarizeMetrics sums one model over every protocol: stages, batch sizes, codes', () => {
  const summary = summarizeMetrics(TEXT, 'fish');
  const compute = summary.stages['compute']!;
  assert.equal(compute.count, 8);
  assert.equal(compute.meanMs, 3);
  // Rank 4 of 8: the 2..4 ms bucket holds ranks 3..8, so 2 + 2 * (4 - 2) / 6 ms.
  assert.ok(Math.abs(compute.p50Ms! - 8 / 3) < 1e-9, String(compute.p50Ms));
  assert.deepEqual(summary.batchSizes, [
    { le: 1, count: 3 },
    { le: 2, count: 0 },
    { le: 4, count: 2 },
    { le: Infinity, count: 0 },
  ]);
  assert.equal(summary.meanBatchSize, 1.8);
  assert.deepEqual(summary.requestsByCode, { OK: 8, TCH_ERR_AUTH_INVALID: 2 });
  assert.deepEqual(summarizeMetrics(TEXT, 'nobody'), {
    stages: {},
    batchSizes: [],
    meanBatchSize: null,
    requestsByCode: {},
  });
});

test('errorLines keeps warn and error lines of pino JSON, with their code and message', () => {
  const lines = [
    '{"level":30,"time":1700000000000,"msg":"Server listening"}',
    '{"level":40,"time":1700000000000,"msg":"grpc call","code":"TCH_ERR_QUEUE_FULL"}',
    'not json at all',
    '{"level":50,"time":"2026-01-01T00:00:00.000Z","msg":"request","error":"boom"}',
  ];
  assert.deepEqual(errorLines(lines), [
    { time: '2023-11-14T22:13:20.000Z', level: 40, msg: 'grpc call', code: 'TCH_ERR_QUEUE_FULL' },
    { time: '2026-01-01T00:00:00.000Z', level: 50, msg: 'request: boom', code: null },
  ]);
});
