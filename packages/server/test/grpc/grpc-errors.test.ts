import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { GRPC_STATUS_BY_KIND } from '@tachyon-serve/protocol';
import type { GrpcCallLog } from '../../src/grpc/grpc-call.js';
import type { ModelHost } from '@tachyon-serve/core';
import {
  MODEL_NAME,
  createTestHost,
  readSample,
  startTestServer,
  tritonRawBytes,
  unary,
  unaryError,
  type CallError,
  type TestServer,
} from './grpc-fixtures.js';

// One real model for the file; one server with keys (rotatable), a small message limit and a drain switch, plus one
// without auth.
let host: ModelHost;
let closeHost: () => Promise<void>;
let server: TestServer;
let open: TestServer;
let image: Buffer;
const keys = { primary: 'the-primary-key', secondary: 'the-secondary-key' };
let draining = false;
const keysAskedFor: string[] = [];
const logs: GrpcCallLog[] = [];
const MAX_MESSAGE = 512 * 1024;

before(async () => {
  ({ host, close: closeHost } = await createTestHost());
  server = await startTestServer(host, {
    auth: {
      keys: (service) => {
        keysAskedFor.push(service);
        return [keys.primary, keys.secondary];
      },
    },
    maxImagesPerRequest: 2,
    maxReceiveMessageLength: MAX_MESSAGE,
    draining: () => draining,
    log: (entry) => logs.push(entry),
  });
  open = await startTestServer(host, { auth: 'none' });
  image = await readSample('n01443537_goldfish.JPEG');
});
after(async () => {
  await server?.close();
  await open?.close();
  await closeHost?.();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const inferRequest = (images: Buffer[], model = MODEL_NAME) => ({
  model_name: model,
  inputs: [{ name: 'images', datatype: 'BYTES', shape: [images.length], contents: { bytes_contents: images } }],
});
const predictRequest = (images: Buffer[]) => ({
  inputs: { images: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: images.length }] }, string_val: images } },
});

function assertTachyon(error: CallError, grpcCode: number, tachyonCode: string, requestId?: string): void {
  assert.equal(error.code, grpcCode, `${error.code} ${error.details}`);
  assert.deepEqual(error.metadata.get('tachyon-code'), [tachyonCode]);
  const id = error.metadata.get('x-request-id');
  assert.equal(id.length, 1);
  if (requestId !== undefined) assert.deepEqual(id, [requestId]);
  assert.deepEqual(error.initial?.get('x-request-id'), id, 'the same id in initial and trailing metadata');
  assert.ok(!error.details.includes(keys.primary) && !error.details.includes(keys.secondary));
}

test('statuses come only from GRPC_STATUS_BY_KIND', () => {
  assert.equal(GRPC_STATUS_BY_KIND.NOT_FOUND, status.NOT_FOUND);
  assert.equal(GRPC_STATUS_BY_KIND.INVALID_ARG, status.INVALID_ARGUMENT);
  assert.equal(GRPC_STATUS_BY_KIND.UNAUTHENTICATED, status.UNAUTHENTICATED);
  assert.equal(GRPC_STATUS_BY_KIND.UNAVAILABLE, status.UNAVAILABLE);
});

test('missing and wrong keys -> UNAUTHENTICATED on ModelInfer, Predict, ModelMetadata, ModelReady; server health stays open', async () => {
  assertTachyon(
    await unaryError(server.kserve, 'ModelInfer', inferRequest([image]), { 'x-request-id': 'no-key' }),
    16,
    'TCH_ERR_AUTH_MISSING',
    'no-key',
  );
  assertTachyon(
    await unaryError(server.kserve, 'ModelInfer', inferRequest([image]), bearer('wrong')),
    16,
    'TCH_ERR_AUTH_INVALID',
  );
  assertTachyon(
    await unaryError(server.kserve, 'ModelInfer', inferRequest([image]), { authorization: keys.primary }),
    16,
    'TCH_ERR_AUTH_INVALID',
  );
  assertTachyon(await unaryError(server.tf, 'Predict', predictRequest([image])), 16, 'TCH_ERR_AUTH_MISSING');
  assertTachyon(
    await unaryError(server.tf, 'Predict', predictRequest([image]), bearer('wrong')),
    16,
    'TCH_ERR_AUTH_INVALID',
  );
  assertTachyon(await unaryError(server.kserve, 'ModelMetadata', { name: MODEL_NAME }), 16, 'TCH_ERR_AUTH_MISSING');
  assertTachyon(
    await unaryError(server.kserve, 'ModelReady', { name: MODEL_NAME }, bearer('wrong')),
    16,
    'TCH_ERR_AUTH_INVALID',
  );
  assert.deepEqual((await unary(server.kserve, 'ServerReady', {})).response, { ready: true });
  assert.equal((await unary(server.kserve, 'ServerMetadata', {})).response['name'], 'tachyon');
});

test('primary and secondary keys both work, and a rotated key takes effect on the next call', async (t) => {
  const saved = { ...keys };
  t.after(() => Object.assign(keys, saved));
  keysAskedFor.length = 0;
  await unary(server.kserve, 'ModelInfer', inferRequest([image]), bearer(keys.primary));
  await unary(server.kserve, 'ModelInfer', inferRequest([image]), bearer(keys.secondary));
  await unary(server.tf, 'Predict', predictRequest([image]), bearer(keys.secondary));
  assert.deepEqual(
    keysAskedFor,
    [MODEL_NAME, MODEL_NAME, MODEL_NAME],
    'keys are looked up per call, for the model called',
  );
  const old = keys.primary;
  keys.primary = 'the-rotated-primary-key';
  assertTachyon(
    await unaryError(server.kserve, 'ModelInfer', inferRequest([image]), bearer(old)),
    16,
    'TCH_ERR_AUTH_INVALID',
  );
  await unary(server.kserve, 'ModelInfer', inferRequest([image]), bearer('the-rotated-primary-key'));
});

test("auth 'none' needs no key", async () => {
  const { response } = await unary<{ outputs: unknown[] }>(open.kserve, 'ModelInfer', inferRequest([image]));
  assert.equal(response.outputs.length, 1);
});

test('unknown model -> NOT_FOUND on ModelInfer, ModelMetadata and Predict', async () => {
  const e = await unaryError(server.kserve, 'ModelInfer', inferRequest([image], 'nope'), bearer(keys.primary));
  assertTachyon(e, 5, 'TCH_ERR_MODEL_NOT_FOUND');
  assert.match(e.details, /"nope"/);
  assert.deepEqual(JSON.parse(String(e.metadata.get('tachyon-details-bin')[0])), {
    model: 'nope',
    served: [MODEL_NAME],
  });
  assertTachyon(
    await unaryError(server.kserve, 'ModelMetadata', { name: 'nope' }, bearer(keys.primary)),
    5,
    'TCH_ERR_MODEL_NOT_FOUND',
  );
  assertTachyon(
    await unaryError(
      server.kserve,
      'ModelInfer',
      { ...inferRequest([image]), model_version: '9' },
      bearer(keys.primary),
    ),
    5,
    'TCH_ERR_MODEL_NOT_FOUND',
  );
  const predict = { ...predictRequest([image]), model_spec: { name: 'nope' } };
  assertTachyon(await unaryError(server.tf, 'Predict', predict, bearer(keys.primary)), 5, 'TCH_ERR_MODEL_NOT_FOUND');
});

test('bad inputs -> INVALID_ARGUMENT with TCH_ERR_INFER_INVALID or the image error', async () => {
  const auth = bearer(keys.primary);
  const cases: [string, object][] = [
    [
      'wrong input name',
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'pixels', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [image] } }],
      },
    ],
    [
      'FP32 instead of BYTES',
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'images', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
      },
    ],
    ['unknown datatype', { model_name: MODEL_NAME, inputs: [{ name: 'images', datatype: 'STRING', shape: [1] }] }],
    [
      'shape says 2, one element',
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'images', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [image] } }],
      },
    ],
    ['no elements', { model_name: MODEL_NAME, inputs: [{ name: 'images', datatype: 'BYTES', shape: [0] }] }],
    ['unknown output', { ...inferRequest([image]), outputs: [{ name: 'nope' }] }],
    [
      'classification not an int',
      {
        ...inferRequest([image]),
        outputs: [{ name: 'scores', parameters: { classification: { string_param: 'five' } } }],
      },
    ],
    [
      'classification 0',
      { ...inferRequest([image]), outputs: [{ name: 'scores', parameters: { classification: { int64_param: 0 } } }] },
    ],
    [
      'raw entries != inputs',
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'images', datatype: 'BYTES', shape: [1] }],
        raw_input_contents: [tritonRawBytes([image]), Buffer.alloc(4)],
      },
    ],
    [
      'raw length prefix past the end',
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'images', datatype: 'BYTES', shape: [1] }],
        raw_input_contents: [Buffer.from([255, 0, 0, 0, 1, 2])],
      },
    ],
    [
      'raw and contents together',
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [image] } }],
        raw_input_contents: [tritonRawBytes([image])],
      },
    ],
  ];
  for (const [why, request] of cases) {
    const e = await unaryError(server.kserve, 'ModelInfer', request, auth);
    assert.equal(e.code, 3, `${why}: ${e.code} ${e.details}`);
    assert.deepEqual(e.metadata.get('tachyon-code'), ['TCH_ERR_INFER_INVALID'], why);
  }
  const notAnImage = await unaryError(
    server.kserve,
    'ModelInfer',
    inferRequest([Buffer.from('plain text, not an image')]),
    auth,
  );
  assert.equal(notAnImage.code, GRPC_STATUS_BY_KIND.UNSUPPORTED);
  assert.deepEqual(notAnImage.metadata.get('tachyon-code'), ['TCH_ERR_IMAGE_UNSUPPORTED_FORMAT']);

  const tfCases: [string, object][] = [
    [
      'DT_FLOAT images',
      { inputs: { images: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 1 }] }, float_val: [1] } } },
    ],
    ['unknown output alias', { ...predictRequest([image]), output_filter: ['probabilities'] }],
    [
      'unknown signature',
      { ...predictRequest([image]), model_spec: { name: MODEL_NAME, signature_name: 'predict_images' } },
    ],
    ['no inputs', { model_spec: { name: MODEL_NAME } }],
  ];
  for (const [why, request] of tfCases) {
    const e = await unaryError(server.tf, 'Predict', request, auth);
    assert.equal(e.code, 3, `${why}: ${e.code} ${e.details}`);
    assert.deepEqual(e.metadata.get('tachyon-code'), ['TCH_ERR_INFER_INVALID'], why);
  }
});

test('too many images -> INVALID_ARGUMENT TCH_ERR_LIMIT_TOO_MANY_IMAGES; too large a message -> RESOURCE_EXHAUSTED', async () => {
  const auth = bearer(keys.primary);
  assertTachyon(
    await unaryError(server.kserve, 'ModelInfer', inferRequest([image, image, image]), auth),
    3,
    'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
  );
  assertTachyon(
    await unaryError(server.tf, 'Predict', predictRequest([image, image, image]), auth),
    3,
    'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
  );
  // grpc-js refuses it before any handler runs (standard gRPC behaviour; see docs/grpc-api.md).
  const big = await unaryError(server.kserve, 'ModelInfer', inferRequest([Buffer.alloc(MAX_MESSAGE + 1)]), auth);
  assert.equal(big.code, status.RESOURCE_EXHAUSTED);
});

test('draining: every RPC but ServerLive and ServerReady -> UNAVAILABLE TCH_ERR_SERVER_DRAINING; ServerReady false', async (t) => {
  draining = true;
  t.after(() => (draining = false));
  const auth = bearer(keys.primary);
  assertTachyon(
    await unaryError(server.kserve, 'ModelInfer', inferRequest([image]), auth),
    14,
    'TCH_ERR_SERVER_DRAINING',
  );
  assertTachyon(await unaryError(server.tf, 'Predict', predictRequest([image]), auth), 14, 'TCH_ERR_SERVER_DRAINING');
  assertTachyon(
    await unaryError(server.kserve, 'ModelReady', { name: MODEL_NAME }, auth),
    14,
    'TCH_ERR_SERVER_DRAINING',
  );
  assertTachyon(
    await unaryError(server.kserve, 'ModelMetadata', { name: MODEL_NAME }, auth),
    14,
    'TCH_ERR_SERVER_DRAINING',
  );
  assertTachyon(await unaryError(server.kserve, 'ServerMetadata', {}), 14, 'TCH_ERR_SERVER_DRAINING');
  assert.deepEqual((await unary(server.kserve, 'ServerReady', {})).response, { ready: false });
  assert.deepEqual((await unary(server.kserve, 'ServerLive', {})).response, { live: true });
  draining = false;
  await unary(server.kserve, 'ModelInfer', inferRequest([image]), bearer(keys.primary));
});

test('every call is logged once with its request id, method, status and code, never a key', async () => {
  logs.length = 0;
  await unaryError(server.kserve, 'ModelInfer', inferRequest([image]), {
    ...bearer('wrong'),
    'x-request-id': 'logged-1',
  });
  await unary(server.kserve, 'ModelInfer', inferRequest([image]), {
    ...bearer(keys.primary),
    'x-request-id': 'logged-2',
  });
  await new Promise((r) => setImmediate(r));
  const byId = new Map(logs.map((l) => [l.requestId, l]));
  assert.deepEqual(
    { ...byId.get('logged-1'), durationMs: 0 },
    {
      requestId: 'logged-1',
      method: '/inference.GRPCInferenceService/ModelInfer',
      status: 16,
      code: 'TCH_ERR_AUTH_INVALID',
      durationMs: 0,
      model: MODEL_NAME,
    },
  );
  assert.equal(byId.get('logged-2')?.status, 0);
  assert.ok(!JSON.stringify(logs).includes(keys.primary));
});
