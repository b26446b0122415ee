import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { encodeRawBytes as encodeBytesElements } from '../../src/codec/raw-tensor.js';
import { MODEL, bearer, httpApp, sharedHost } from '../support/http-fixture.js';
import { ORANGE, sampleImage } from '@tachyon-serve/test-support';

const host = sharedHost();
const image = sampleImage(ORANGE.file);
const b64 = image.toString('base64');

/** Asserts the one error body format: status, code, requestId equal to the x-request-id header. */
function assertError(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json();
  assert.equal(body.code, code, res.body);
  assert.equal(typeof body.error, 'string');
  assert.equal(body.requestId, res.headers['x-request-id']);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  return body;
}

const kserve = (data: unknown[], extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'images', datatype: 'BYTES', shape: [data.length], data }],
  ...extra,
});

test('unknown model, unknown version and unknown route', async (t) => {
  const app = await httpApp(t, host());
  assertError(
    await app.inject({ method: 'POST', url: '/v2/models/nope/infer', headers: bearer(), payload: kserve([{ b64 }]) }),
    404,
    'TCH_ERR_MODEL_NOT_FOUND',
  );
  assertError(
    await app.inject({ method: 'GET', url: `/v2/models/${MODEL}/versions/7`, headers: bearer() }),
    404,
    'TCH_ERR_MODEL_NOT_FOUND',
  );
  assertError(
    await app.inject({
      method: 'POST',
      url: '/v1/services/nope/classify',
      headers: { ...bearer(), 'content-type': 'image/jpeg' },
      payload: image,
    }),
    404,
    'TCH_ERR_MODEL_NOT_FOUND',
  );
  assertError(
    await app.inject({
      method: 'POST',
      url: '/v1/models/nope:predict',
      headers: bearer(),
      payload: { instances: [{ b64 }] },
    }),
    404,
    'TCH_ERR_MODEL_NOT_FOUND',
  );
  const route = assertError(
    await app.inject({ method: 'GET', url: '/v3/whatever?key=secret', headers: { 'x-request-id': 'my-id' } }),
    404,
    'TCH_ERR_IO_NOT_FOUND',
  );
  assert.equal(route['requestId'], 'my-id');
  assert.deepEqual(route['details'], { method: 'GET', path: '/v3/whatever' });
  assertError(
    await app.inject({ method: 'POST', url: `/v1/models/${MODEL}:classify`, headers: bearer(), payload: {} }),
    404,
    'TCH_ERR_IO_NOT_FOUND',
  );
});

test('malformed requests: bad JSON, wrong input, bad shapes, bad binary framing, bad query', async (t) => {
  const app = await httpApp(t, host());
  const infer = (payload: string | Buffer | object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: `/v2/models/${MODEL}/infer`, headers: { ...bearer(), ...headers }, payload });
  assertError(await infer('{"inputs": [', { 'content-type': 'application/json' }), 400, 'TCH_ERR_INFER_INVALID');
  assertError(await infer('[]', { 'content-type': 'application/json' }), 400, 'TCH_ERR_INFER_INVALID');
  const wrongName = assertError(
    await infer({ inputs: [{ name: 'input_1', datatype: 'BYTES', shape: [1], data: [{ b64 }] }] }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assert.deepEqual((wrongName['details'] as { got: string[] }).got, ['input_1']);
  assertError(await infer(kserve([{ b64 }], { outputs: [{ name: 'nope' }] })), 400, 'TCH_ERR_INFER_INVALID');
  assertError(
    await infer({ inputs: [{ name: 'images', datatype: 'BYTES', shape: [2], data: [{ b64 }] }] }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assertError(
    await infer({ inputs: [{ name: 'images', datatype: 'FP32', shape: [1], data: [1.5] }] }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assertError(
    await infer({ inputs: [{ name: 'images', datatype: 'TEXT', shape: [1], data: ['x'] }] }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assertError(
    await infer(kserve([{ b64 }], { outputs: [{ name: 'scores', parameters: { classification: 0 } }] })),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  // A raw string element is its UTF-8 bytes (Triton's reading): not an image.
  assertError(await infer(kserve([b64])), 400, 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT');

  const bytes = encodeBytesElements([image]);
  const header = (size: number) =>
    Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: size } }],
      }),
    );
  const h = header(bytes.length);
  assertError(
    await infer(Buffer.concat([h, bytes]), { 'inference-header-content-length': String(h.length + bytes.length + 1) }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assertError(
    await infer(Buffer.concat([h, bytes, Buffer.from('xx')]), { 'inference-header-content-length': String(h.length) }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  const short = header(bytes.length + 10);
  assertError(
    await infer(Buffer.concat([short, bytes]), { 'inference-header-content-length': String(short.length) }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  const truncated = Buffer.concat([bytes.subarray(0, 4), image.subarray(0, 100)]);
  const ht = header(truncated.length);
  assertError(
    await infer(Buffer.concat([ht, truncated]), { 'inference-header-content-length': String(ht.length) }),
    400,
    'TCH_ERR_INFER_INVALID',
  );

  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify?top=0`,
      headers: { ...bearer(), 'content-type': 'image/jpeg' },
      payload: image,
    }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify?top=abc`,
      headers: { ...bearer(), 'content-type': 'image/jpeg' },
      payload: image,
    }),
    400,
    'TCH_ERR_INFER_INVALID',
  );
  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': 'text/plain' },
      payload: 'hello',
    }),
    400,
    'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT',
  );
  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': 'image/jpeg' },
      payload: Buffer.from('not an image at all'),
    }),
    400,
    'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT',
  );
  assertError(
    await app.inject({ method: 'POST', url: `/v1/services/${MODEL}/classify`, headers: bearer() }),
    400,
    'TCH_ERR_IMAGE_EMPTY',
  );

  const tf = (payload: object) =>
    app.inject({ method: 'POST', url: `/v1/models/${MODEL}:predict`, headers: bearer(), payload });
  assertError(await tf({ instances: [{ b64 }], inputs: { b64 } }), 400, 'TCH_ERR_INFER_INVALID');
  assertError(await tf({ instances: [{ pixels: { b64 } }] }), 400, 'TCH_ERR_INFER_INVALID');
  assertError(await tf({ instances: ['raw string'] }), 400, 'TCH_ERR_INFER_INVALID');
});

test('limits: too many images (every protocol) and body too large', async (t) => {
  const app = await httpApp(t, host(), { maxImagesPerRequest: 2, bodyLimit: 512 * 1024 });
  const three = [{ b64 }, { b64 }, { b64 }];
  const kjson = assertError(
    await app.inject({ method: 'POST', url: `/v2/models/${MODEL}/infer`, headers: bearer(), payload: kserve(three) }),
    400,
    'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
  );
  assert.deepEqual(kjson['details'], { images: 3, maxImagesPerRequest: 2 });
  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}:predict`,
      headers: bearer(),
      payload: { instances: three },
    }),
    400,
    'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
  );
  const boundary = 'b0undary';
  const part = (i: number) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"; filename="f${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      image,
      Buffer.from('\r\n'),
    ]);
  const multipart = Buffer.concat([part(0), part(1), part(2), Buffer.from(`--${boundary}--\r\n`)]);
  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: multipart,
    }),
    400,
    'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
  );

  const big = Buffer.alloc(512 * 1024 + 1, 1);
  const raw = assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': 'image/jpeg' },
      payload: big,
    }),
    400,
    'TCH_ERR_LIMIT_BODY_TOO_LARGE',
  );
  assert.deepEqual(raw['details'], { bodyLimit: 512 * 1024 });
  assertError(
    await app.inject({ method: 'POST', url: `/v2/models/${MODEL}/infer`, headers: bearer(), payload: big }),
    400,
    'TCH_ERR_LIMIT_BODY_TOO_LARGE',
  );
  const bigParts = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="f.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    big,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: bigParts,
    }),
    400,
    'TCH_ERR_LIMIT_BODY_TOO_LARGE',
  );
  // Within the limits the same app still serves.
  assert.equal(
    (
      await app.inject({
        method: 'POST',
        url: `/v2/models/${MODEL}/infer`,
        headers: bearer(),
        payload: kserve([{ b64 }, { b64 }]),
      })
    ).statusCode,
    200,
  );
});

test('deadline: x-request-timeout-ms exceeded -> 504; malformed -> 400; generous -> 200', async (t) => {
  const app = await httpApp(t, host());
  const run = (timeout: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': 'image/jpeg', 'x-request-timeout-ms': timeout },
      payload: image,
    });
  const expired = assertError(await run('1'), 504, 'TCH_ERR_DEADLINE_EXCEEDED');
  assert.deepEqual(expired['details'], { timeoutMs: 1 });
  assertError(await run('soon'), 400, 'TCH_ERR_INFER_INVALID');
  assertError(await run('0'), 400, 'TCH_ERR_INFER_INVALID');
  assert.equal((await run('60000')).statusCode, 200);
});

test('draining: new requests 503 TCH_ERR_SERVER_DRAINING, readiness false, liveness true', async (t) => {
  const app = await httpApp(t, host());
  app.tachyon.draining = true;
  const res = assertError(
    await app.inject({
      method: 'POST',
      url: `/v1/services/${MODEL}/classify`,
      headers: { ...bearer(), 'content-type': 'image/jpeg' },
      payload: image,
    }),
    503,
    'TCH_ERR_SERVER_DRAINING',
  );
  assert.equal(res['code'], 'TCH_ERR_SERVER_DRAINING');
  const ready = await app.inject({ method: 'GET', url: '/v2/health/ready' });
  assertError(ready, 503, 'TCH_ERR_SERVER_DRAINING');
  assert.equal(ready.headers['connection'], 'close');
  assert.equal((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode, 200);
  app.tachyon.draining = false;
  assert.equal((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode, 200);
});
