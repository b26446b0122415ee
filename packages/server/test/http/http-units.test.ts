import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TachyonError, parseClassification } from '@tachyon-serve/protocol';
import { decodeKServeRequest } from '../../src/http/codec/kserve-request.js';
import { encodeKServeResponse } from '../../src/http/codec/kserve-response.js';
import { encodeRawBytes as encodeBytesElements } from '../../src/codec/raw-tensor.js';
import { toTachyonError } from '../../src/http/error-mapping.js';
import { compileHttpOptions, HTTP_DEFAULTS } from '../../src/http/http-options.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { RateLimiter } from '../../src/http/rate-limiter.js';
import type { ModelHost } from '@tachyon-serve/core';

test('compileHttpOptions: documented defaults, frozen, misuse named', () => {
  const config = compileHttpOptions({ auth: 'none' });
  assert.deepEqual({ ...config }, { ...HTTP_DEFAULTS, auth: 'none', rateLimit: undefined, cors: undefined });
  assert.equal(config.bodyLimit, 20 * 1024 * 1024);
  assert.equal(config.maxHeaderSize, 16 * 1024);
  assert.ok(Object.isFrozen(config));
  assert.equal(compileHttpOptions({ auth: 'none', rateLimit: { requestsPerSecond: 2.5 } }).rateLimit?.burst, 3);
  assert.throws(() => compileHttpOptions({} as never), /auth/);
  assert.throws(() => compileHttpOptions({ auth: 'none', bodyLimit: 0 }), /bodyLimit/);
  assert.throws(() => compileHttpOptions({ auth: 'none', rateLimit: { requestsPerSecond: 0 } }), /requestsPerSecond/);
  assert.throws(() => compileHttpOptions({ auth: 'none', cors: { origins: [] } }), /cors.origins/);
  assert.throws(() => compileHttpOptions({ auth: { keys: () => [], adminKey: 'short' } }), /adminKey/);
  assert.throws(() => compileHttpOptions({ auth: 'none', logLevel: 'loud' as never }), /logLevel/);
});

test('rate limiter: burst, refill at the rate, wait time', () => {
  const limiter = new RateLimiter(2, 2);
  assert.equal(limiter.take('k', 0), 0);
  assert.equal(limiter.take('k', 0), 0);
  assert.equal(limiter.take('k', 0), 500);
  assert.equal(limiter.take('k', 250), 250);
  assert.equal(limiter.take('k', 500), 0);
  assert.equal(limiter.take('other', 500), 0);
});

test('KServe decoding: JSON forms, binary framing and output flags', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0x00]);
  const json = decodeKServeRequest(
    Buffer.from(
      JSON.stringify({
        id: 'x',
        inputs: [
          { name: 'images', datatype: 'BYTES', shape: [3], data: ['plain', { b64: jpeg.toString('base64') }, 'more'] },
        ],
        outputs: [{ name: 'scores', parameters: { classification: 3, binary_data: true } }, { name: 'other' }],
      }),
    ),
    undefined,
    { modelName: 'm' },
  );
  assert.equal(json.request.id, 'x');
  assert.deepEqual(
    (json.request.inputs[0]!.data as Uint8Array[]).map((e) => Buffer.from(e).toString('hex')),
    [Buffer.from('plain').toString('hex'), jpeg.toString('hex'), Buffer.from('more').toString('hex')],
  );
  assert.deepEqual(json.request.outputs, [{ name: 'scores', classification: 3 }, { name: 'other' }]);
  assert.equal(json.binaryOutput('scores'), true);
  assert.equal(json.binaryOutput('other'), false);

  const bytes = encodeBytesElements([jpeg, Buffer.alloc(0)]);
  const fp32 = Buffer.from(new Float32Array([1.5, -2]).buffer);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        { name: 'images', datatype: 'BYTES', shape: [2, 1], parameters: { binary_data_size: bytes.length } },
        { name: 'f', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
      ],
      parameters: { binary_data_output: true },
    }),
  );
  const binary = decodeKServeRequest(Buffer.concat([header, bytes, fp32]), String(header.length), {
    modelName: 'm',
    modelVersion: '1',
  });
  assert.equal(binary.request.modelVersion, '1');
  assert.deepEqual(
    (binary.request.inputs[0]!.data as Uint8Array[]).map((e) => e.length),
    [4, 0],
  );
  assert.deepEqual(Array.from(binary.request.inputs[1]!.data as Float32Array), [1.5, -2]);
  assert.equal(binary.request.outputs, undefined);
  assert.equal(binary.binaryOutput('scores'), true);

  const bad = (body: string | Buffer, headerLength?: string) =>
    assert.throws(
      () => decodeKServeRequest(Buffer.from(body), headerLength, { modelName: 'm' }),
      (e: unknown) => e instanceof TachyonError && e.code === 'TCH_ERR_INFER_INVALID',
    );
  bad('{}');
  bad('{"inputs": [{"name": "images", "datatype": "BYTES", "shape": [-1], "data": []}]}');
  bad('{"inputs": [{"name": "images", "datatype": "BYTES", "shape": [1], "data": [7]}]}');
  bad('{"inputs": [{"name": "f", "datatype": "FP32", "shape": [1], "data": ["x"]}]}');
  bad('{"inputs": [{"name": "f", "datatype": "FP32", "shape": [1], "data": [1]}], "id": 3}');
  bad('{"inputs": []}', 'abc');
  bad(Buffer.concat([header, bytes, fp32.subarray(0, 4)]), String(header.length));
});

test('KServe encoding: JSON and binary outputs, BYTES as strings or length-prefixed', () => {
  const response = {
    modelName: 'm',
    modelVersion: '1',
    id: 'r',
    outputs: [
      { name: 'scores', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([0.25, 0.75]) },
      { name: 'top', datatype: 'BYTES' as const, shape: [1, 1], data: [Buffer.from('0.75:1:b')] },
    ],
    timings: { queueMs: 0, preprocessMs: 0, computeMs: 0, postprocessMs: 0, totalMs: 0 },
    batchRows: 1,
  };
  assert.deepEqual(
    encodeKServeResponse(response, () => false).json.outputs.map((o) => o.data),
    [[0.25, 0.75], ['0.75:1:b']],
  );
  const binary = encodeKServeResponse(response, (name) => name === 'top');
  const header = JSON.parse(binary.body!.subarray(0, binary.headerLength).toString('utf8'));
  assert.deepEqual(header.outputs[1], {
    name: 'top',
    datatype: 'BYTES',
    shape: [1, 1],
    parameters: { binary_data_size: 12 },
  });
  assert.deepEqual(binary.body!.subarray(binary.headerLength!), encodeBytesElements([Buffer.from('0.75:1:b')]));
  assert.deepEqual(parseClassification('0.5:12:a: b, c'), { score: 0.5, index: 12, label: 'a: b, c' });
});

test('error mapping: unexpected errors become TCH_ERR_SERVER_INTERNAL (500) without their message', async (t) => {
  const config = compileHttpOptions({ auth: 'none' });
  const internal = toTachyonError(new Error('secret detail at /srv/x'), config);
  assert.equal(internal.code, 'TCH_ERR_SERVER_INTERNAL');
  assert.equal(
    toTachyonError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), config).code,
    'TCH_ERR_LIMIT_BODY_TOO_LARGE',
  );
  assert.equal(
    toTachyonError(Object.assign(new Error('x'), { code: 'FST_FILES_LIMIT', statusCode: 413 }), config).code,
    'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
  );

  const broken = {
    get: () => {
      throw new Error('secret detail at /srv/x');
    },
    isReady: () => true,
    names: () => ['m'],
  } as unknown as ModelHost;
  const app = createHttpServer(broken, { auth: 'none', logLevel: 'silent' });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/v2/models/m' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().code, 'TCH_ERR_SERVER_INTERNAL');
  assert.ok(!res.body.includes('secret'));
  assert.equal(res.json().requestId, res.headers['x-request-id']);
});

test('KServe body with Content-Encoding gzip is inflated (bounded by bodyLimit)', async (t) => {
  const host = {
    get: () => {
      throw new TachyonError('TCH_ERR_MODEL_NOT_FOUND', 'No model named "m" is served.');
    },
    isReady: () => true,
    names: () => [],
  } as unknown as ModelHost;
  const app = createHttpServer(host, { auth: 'none', logLevel: 'silent', bodyLimit: 4096 });
  t.after(() => app.close());
  const body = gzipSync(
    JSON.stringify({ inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: 'AAAA' }] }] }),
  );
  const ok = await app.inject({
    method: 'POST',
    url: '/v2/models/m/infer',
    headers: { 'content-encoding': 'gzip' },
    payload: body,
  });
  assert.equal(ok.json().code, 'TCH_ERR_MODEL_NOT_FOUND'); // decoded fine, then the model lookup answered
  const bomb = gzipSync(Buffer.alloc(100_000, 32));
  const refused = await app.inject({
    method: 'POST',
    url: '/v2/models/m/infer',
    headers: { 'content-encoding': 'gzip' },
    payload: bomb,
  });
  assert.equal(refused.json().code, 'TCH_ERR_LIMIT_BODY_TOO_LARGE');
  const unknown = await app.inject({
    method: 'POST',
    url: '/v2/models/m/infer',
    headers: { 'content-encoding': 'br' },
    payload: body,
  });
  assert.equal(unknown.json().code, 'TCH_ERR_INFER_INVALID');
});
