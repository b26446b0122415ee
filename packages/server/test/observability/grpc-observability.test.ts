import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ModelHost } from '@tachyon-serve/core';
import type { GrpcCallLog } from '../../src/grpc/grpc-call.js';
import { Observability } from '../../src/observability/observability.js';
import { createServeLogger, grpcCallLogger } from '../../src/serve/serve-logger.js';
import {
  MODEL_NAME,
  createTestHost,
  readSample,
  startTestServer,
  unary,
  unaryError,
  type TestServer,
} from '../grpc/grpc-fixtures.js';
import { parsePrometheus, sampleValue } from './prometheus-text.js';

const KEY = 'grpc-observability-key-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };
let host: ModelHost;
let closeHost: () => Promise<void>;
let server: TestServer;
let observability: Observability;
const logs: GrpcCallLog[] = [];
let goldfish: Buffer;

before(async () => {
  ({ host, close: closeHost } = await createTestHost());
  observability = new Observability({ knownModel: (name) => host.names().includes(name) });
  server = await startTestServer(host, {
    auth: { keys: () => [KEY] },
    observability,
    log: (entry) => void logs.push(entry),
  });
  goldfish = await readSample('n01443537_goldfish.JPEG');
});
after(async () => {
  await server?.close();
  await observability?.close();
  await closeHost?.();
});

const imagesInput = (images: Buffer[]) => ({
  name: 'images',
  datatype: 'BYTES',
  shape: [images.length],
  contents: { bytes_contents: images },
});

test('gRPC calls are counted by protocol and code, with stage timings, and carry traceparent in initial metadata', async () => {
  const callerTrace = 'aaaabbbbccccdddd0000111122223333';
  const ok = await unary(
    server.kserve,
    'ModelInfer',
    { model_name: MODEL_NAME, inputs: [imagesInput([goldfish])] },
    { ...AUTH, traceparent: `00-${callerTrace}-1234567890abcdef-01` },
  );
  const [version, traceId, spanId, flags] = String(ok.initial.get('traceparent')[0]).split('-');
  assert.deepEqual([version, traceId, flags], ['00', callerTrace, '01']);
  assert.match(spanId!, /^[0-9a-f]{16}$/);
  assert.notEqual(spanId, '1234567890abcdef');

  const bad = await unaryError(
    server.kserve,
    'ModelInfer',
    { model_name: MODEL_NAME, inputs: [{ ...imagesInput([goldfish]), name: 'pixels' }] },
    AUTH,
  );
  assert.equal(bad.code, 3);
  const badCode = String(bad.metadata.get('tachyon-code')[0]);
  assert.equal(badCode, 'TCH_ERR_INFER_INVALID');
  assert.match(
    String(bad.initial?.get('traceparent')[0]),
    /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/,
    'failed calls carry a (fresh) trace too',
  );
  const refused = await unaryError(
    server.kserve,
    'ModelInfer',
    { model_name: MODEL_NAME, inputs: [imagesInput([goldfish])] },
    { authorization: 'Bearer nope-nope-nope' },
  );
  assert.equal(String(refused.metadata.get('tachyon-code')[0]), 'TCH_ERR_AUTH_INVALID');
  const predict = {
    model_spec: { name: MODEL_NAME },
    inputs: { images: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 1 }] }, string_val: [goldfish] } },
  };
  await unary(server.tf, 'Predict', predict, AUTH);
  await unary(server.kserve, 'ServerLive', {});

  const samples = parsePrometheus(await observability.metrics.render());
  const count = (protocol: string, code: string) =>
    sampleValue(samples, 'tachyon_requests_total', { model: MODEL_NAME, protocol, code });
  assert.equal(count('kserve-grpc', 'OK'), 1);
  assert.equal(count('kserve-grpc', 'TCH_ERR_INFER_INVALID'), 1);
  assert.equal(count('kserve-grpc', 'TCH_ERR_AUTH_INVALID'), 1, 'a refused call is counted under its model');
  assert.equal(count('tf-serving-grpc', 'OK'), 1);
  assert.equal(
    samples.filter((s) => s.name === 'tachyon_requests_total').reduce((n, s) => n + s.value, 0),
    4,
    'ServerLive is not an inference call',
  );
  for (const protocol of ['kserve-grpc', 'tf-serving-grpc']) {
    for (const stage of ['queue', 'preprocess', 'compute', 'postprocess']) {
      assert.equal(
        sampleValue(samples, 'tachyon_request_stage_duration_seconds_count', { model: MODEL_NAME, protocol, stage }),
        1,
        `${protocol} ${stage}`,
      );
    }
    assert.equal(
      sampleValue(samples, 'tachyon_request_duration_seconds_count', { model: MODEL_NAME, protocol }),
      1,
      `${protocol} total`,
    );
  }
  const inferLogs = logs.filter((l) => l.method.endsWith('/ModelInfer'));
  assert.equal(inferLogs.length, 3);
  assert.ok(inferLogs.every((l) => l.model === MODEL_NAME && l.requestId.length > 0));
});

test('the gRPC call log: debug per call, warn when unavailable, error for internal failures, always with the request id', () => {
  const lines: string[] = [];
  const log = grpcCallLogger(createServeLogger({ write: (line) => void lines.push(line), level: 'debug' }));
  log({
    requestId: 'r-ok',
    method: '/inference.GRPCInferenceService/ModelInfer',
    status: 0,
    durationMs: 12.34567,
    model: 'm',
  });
  log({
    requestId: 'r-bad',
    method: '/inference.GRPCInferenceService/ModelInfer',
    status: 3,
    code: 'TCH_ERR_INFER_INVALID',
    durationMs: 1,
  });
  log({
    requestId: 'r-full',
    method: '/inference.GRPCInferenceService/ModelInfer',
    status: 13,
    code: 'TCH_ERR_SESSION_RUN_FAILED',
    durationMs: 1,
  });
  log({
    requestId: 'r-closed',
    method: '/inference.GRPCInferenceService/ModelInfer',
    status: 14,
    code: 'TCH_ERR_SESSION_CLOSED',
    durationMs: 1,
  });
  log({
    requestId: 'r-drain',
    method: '/inference.GRPCInferenceService/ModelInfer',
    status: 14,
    code: 'TCH_ERR_SERVER_DRAINING',
    durationMs: 1,
  });
  log({
    requestId: 'r-bug',
    method: '/inference.GRPCInferenceService/ModelInfer',
    status: 13,
    durationMs: 1,
    error: new Error('boom'),
  });
  const parsed = lines.map(
    (l) => JSON.parse(l) as { level: number; requestId: string; msg: string; error?: string; durationMs: number },
  );
  assert.deepEqual(
    parsed.map((l) => [l.requestId, l.level]),
    [
      ['r-ok', 20],
      ['r-bad', 20],
      ['r-full', 50],
      ['r-closed', 40],
      ['r-drain', 20],
      ['r-bug', 50],
    ],
  );
  assert.equal(parsed[0]!.durationMs, 12.346);
  assert.equal(parsed[5]!.error, 'Error: boom');

  const quiet: string[] = [];
  const info = grpcCallLogger(createServeLogger({ write: (line) => void quiet.push(line), level: 'info' }));
  info({ requestId: 'r-ok', method: '/m', status: 0, durationMs: 1 });
  assert.deepEqual(quiet, [], 'per-call lines need debug');
});
