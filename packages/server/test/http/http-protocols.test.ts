import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRawBytes as encodeBytesElements } from '../../src/codec/raw-tensor.js';
import { ADMIN, MODEL, bearer, httpApp, sharedHost } from '../support/http-fixture.js';
import { ORANGE, sampleImage, TRUCK } from '@tachyon-serve/test-support';

// Same images through every HTTP protocol: the same top-5 (indices, and scores within float32 rounding).
const host = sharedHost();
const orange = sampleImage(ORANGE.file);
const truck = sampleImage(TRUCK.file);

type Top = { index: number; label: string; score: number };

function top5(row: ArrayLike<number>): Top[] {
  return Array.from(row, (score, index) => ({ index, label: '', score }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, 5);
}

function assertSameTop(actual: Top[], expected: Top[], what: string): void {
  assert.deepEqual(
    actual.map((e) => e.index),
    expected.map((e) => e.index),
    `${what}: top-5 indices`,
  );
  actual.forEach((e, i) =>
    assert.ok(Math.abs(e.score - expected[i]!.score) < 1e-6, `${what}: score ${i} ${e.score} vs ${expected[i]!.score}`),
  );
}

function multipart(parts: { name: string; filename?: string; type: string; data: Buffer }[]): {
  body: Buffer;
  contentType: string;
} {
  const boundary = 'tachyon-test-boundary';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const filename = p.filename === undefined ? '' : `; filename="${p.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${filename}\r\nContent-Type: ${p.type}\r\n\r\n`,
      ),
      p.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

test('every protocol gives the same top-5 for the same image', async (t) => {
  const app = await httpApp(t, host());

  // 1. raw image
  const raw = await app.inject({
    method: 'POST',
    url: `/v1/services/${MODEL}/classify`,
    headers: { ...bearer(), 'content-type': 'image/jpeg' },
    payload: orange,
  });
  assert.equal(raw.statusCode, 200, raw.body);
  const rawTop: Top[] = raw.json().results[0].top;
  assert.equal(raw.json().results[0].file, null);
  assert.equal(rawTop.length, 5);
  assert.equal(rawTop[0]!.index, ORANGE.index);
  assert.equal(rawTop[0]!.label, 'orange');

  // 2. KServe v2 JSON, FP32 scores, image as {"b64"} element
  const kjson = await app.inject({
    method: 'POST',
    url: `/v2/models/${MODEL}/infer`,
    headers: bearer(),
    payload: {
      id: 'req-1',
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: orange.toString('base64') }] }],
    },
  });
  assert.equal(kjson.statusCode, 200, kjson.body);
  const kbody = kjson.json();
  assert.equal(kbody.model_name, MODEL);
  assert.equal(kbody.model_version, '1');
  assert.equal(kbody.id, 'req-1');
  assert.deepEqual(kbody.outputs[0].shape, [1, 1000]);
  assert.equal(kbody.outputs[0].datatype, 'FP32');
  assertSameTop(top5(kbody.outputs[0].data), rawTop, 'KServe JSON');

  // 3. KServe v2 JSON, base64 strings via parameters.content_type, classification extension
  const kcls = await app.inject({
    method: 'POST',
    url: `/v2/models/${MODEL}/versions/1/infer`,
    headers: bearer(),
    payload: {
      inputs: [
        {
          name: 'images',
          datatype: 'BYTES',
          shape: [1, 1],
          parameters: { content_type: 'base64' },
          data: [[orange.toString('base64')]],
        },
      ],
      outputs: [{ name: 'scores', parameters: { classification: 5 } }],
    },
  });
  assert.equal(kcls.statusCode, 200, kcls.body);
  const cls = kcls.json().outputs[0];
  assert.equal(cls.datatype, 'BYTES');
  assert.deepEqual(cls.shape, [1, 5]);
  const clsTop = (cls.data as string[]).map((s) => {
    const [score, index, ...label] = s.split(':');
    return { score: Number(score), index: Number(index), label: label.join(':') };
  });
  assertSameTop(clsTop, rawTop, 'KServe classification');
  assert.deepEqual(
    clsTop.map((e) => e.label),
    rawTop.map((e) => e.label),
  );

  // 4. KServe v2 binary tensor data extension, built by hand per the spec; binary FP32 output
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 4 + orange.length } }],
      outputs: [{ name: 'scores', parameters: { binary_data: true } }],
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(orange.length);
  const kbin = await app.inject({
    method: 'POST',
    url: `/v2/models/${MODEL}/infer`,
    headers: {
      ...bearer(),
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    },
    payload: Buffer.concat([header, length, orange]),
  });
  assert.equal(kbin.statusCode, 200, kbin.body);
  assert.equal(kbin.headers['content-type'], 'application/octet-stream');
  const jsonLength = Number(kbin.headers['inference-header-content-length']);
  const body = kbin.rawPayload;
  const responseHeader = JSON.parse(body.subarray(0, jsonLength).toString('utf8'));
  assert.deepEqual(responseHeader.outputs[0], {
    name: 'scores',
    datatype: 'FP32',
    shape: [1, 1000],
    parameters: { binary_data_size: 4000 },
  });
  assert.equal(body.length, jsonLength + 4000);
  const scores = new Float32Array(Uint8Array.prototype.slice.call(body, jsonLength).buffer);
  assertSameTop(top5(scores), rawTop, 'KServe binary');

  // 5. TF-Serving REST, both instance forms
  for (const instances of [[{ b64: orange.toString('base64') }], [{ images: { b64: orange.toString('base64') } }]]) {
    const tf = await app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}:predict`,
      headers: bearer(),
      payload: { instances },
    });
    assert.equal(tf.statusCode, 200, tf.body);
    assert.equal(tf.json().predictions.length, 1);
    assertSameTop(top5(tf.json().predictions[0]), rawTop, 'TF-Serving REST');
  }
  const tfColumnar = await app.inject({
    method: 'POST',
    url: `/v1/models/${MODEL}/versions/1:predict`,
    headers: bearer(),
    payload: { inputs: { images: [{ b64: orange.toString('base64') }] } },
  });
  assert.equal(tfColumnar.statusCode, 200, tfColumnar.body);
  assertSameTop(top5(tfColumnar.json().outputs[0]), rawTop, 'TF-Serving columnar');
});

test('multipart with two images, ?top=3, file names echoed', async (t) => {
  const app = await httpApp(t, host());
  const { body, contentType } = multipart([
    { name: 'a', filename: 'orange.jpg', type: 'image/jpeg', data: orange },
    { name: 'note', type: 'text/plain', data: Buffer.from('ignored field') },
    { name: 'b', filename: 'truck.jpg', type: 'image/jpeg', data: truck },
  ]);
  const res = await app.inject({
    method: 'POST',
    url: `/v1/services/${MODEL}/classify?top=3`,
    headers: { ...bearer(), 'content-type': contentType },
    payload: body,
  });
  assert.equal(res.statusCode, 200, res.body);
  const results = res.json().results;
  assert.deepEqual(
    results.map((r: { file: string }) => r.file),
    ['orange.jpg', 'truck.jpg'],
  );
  assert.equal(results[0].top.length, 3);
  assert.equal(results[0].top[0].index, ORANGE.index);
  assert.equal(results[1].top[0].index, TRUCK.index);
});

test('KServe binary: a batch of two BYTES elements, classification returned as binary BYTES', async (t) => {
  const app = await httpApp(t, host());
  const images = encodeBytesElements([orange, truck]);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: images.length } }],
      outputs: [{ name: 'scores', parameters: { classification: 2 } }],
      parameters: { binary_data_output: true },
    }),
  );
  // No Content-Type at all, like tritonclient.http.
  const res = await app.inject({
    method: 'POST',
    url: `/v2/models/${MODEL}/infer`,
    headers: { ...bearer(), 'inference-header-content-length': String(header.length) },
    payload: Buffer.concat([header, images]),
  });
  assert.equal(res.statusCode, 200, res.body);
  const jsonLength = Number(res.headers['inference-header-content-length']);
  const out = JSON.parse(res.rawPayload.subarray(0, jsonLength).toString('utf8')).outputs[0];
  assert.equal(out.datatype, 'BYTES');
  assert.deepEqual(out.shape, [2, 2]);
  const data = res.rawPayload.subarray(jsonLength);
  assert.equal(data.length, out.parameters.binary_data_size);
  const elements: string[] = [];
  for (let offset = 0; offset < data.length; ) {
    const n = data.readUInt32LE(offset);
    elements.push(data.subarray(offset + 4, offset + 4 + n).toString('utf8'));
    offset += 4 + n;
  }
  assert.equal(elements.length, 4);
  assert.equal(Number(elements[0]!.split(':')[1]), ORANGE.index);
  assert.equal(Number(elements[2]!.split(':')[1]), TRUCK.index);
});

test('Server-Timing carries the five phases and the batch rows; x-request-id is echoed or generated', async (t) => {
  const app = await httpApp(t, host());
  const res = await app.inject({
    method: 'POST',
    url: `/v1/services/${MODEL}/classify`,
    headers: { ...bearer(), 'content-type': 'image/jpeg', 'x-request-id': 'abc-123' },
    payload: orange,
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-request-id'], 'abc-123');
  const timing = String(res.headers['server-timing']);
  const entries = timing.split(',').map((p) => p.trim());
  assert.equal(entries.pop(), 'batch;desc="1"');
  const phases: Record<string, number> = Object.fromEntries(
    entries.map((p) => p.split(';dur=')).map(([k, v]) => [k, Number(v)]),
  );
  assert.deepEqual(Object.keys(phases), ['queue', 'preprocess', 'compute', 'postprocess', 'total']);
  for (const v of Object.values(phases)) assert.ok(Number.isFinite(v) && v >= 0, timing);
  assert.ok(phases['total']! >= phases['compute']!, timing);

  const generated = await app.inject({ method: 'GET', url: '/v2/health/live' });
  assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const tooLong = await app.inject({
    method: 'GET',
    url: '/v2/health/live',
    headers: { 'x-request-id': 'x'.repeat(129) },
  });
  assert.match(String(tooLong.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('server metadata, health, model metadata and readiness', async (t) => {
  const app = await httpApp(t, host());
  const meta = await app.inject({ method: 'GET', url: '/v2' });
  assert.equal(meta.statusCode, 200);
  assert.equal(meta.json().name, 'tachyon');
  assert.deepEqual(meta.json().extensions, ['classification', 'binary_tensor_data']);
  assert.equal(typeof meta.json().version, 'string');
  assert.deepEqual((await app.inject({ method: 'GET', url: '/v2/health/live' })).json(), { live: true });
  assert.deepEqual((await app.inject({ method: 'GET', url: '/v2/health/ready' })).json(), { ready: true });
  for (const url of [`/v2/models/${MODEL}`, `/v2/models/${MODEL}/versions/1`]) {
    const model = await app.inject({ method: 'GET', url, headers: bearer() });
    assert.equal(model.statusCode, 200, model.body);
    // The image input and the graph's own tensor input; class probabilities and the graph's raw output.
    assert.deepEqual(model.json().inputs, [
      { name: 'images', datatype: 'BYTES', shape: [-1] },
      { name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] },
    ]);
    assert.deepEqual(model.json().outputs, [
      { name: 'scores', datatype: 'FP32', shape: [-1, 1000] },
      { name: 'logits', datatype: 'FP32', shape: [-1, 1000] },
    ]);
  }
  const ready = await app.inject({ method: 'GET', url: `/v2/models/${MODEL}/ready`, headers: bearer() });
  assert.deepEqual(ready.json(), { name: MODEL, version: '1', ready: true });
  const status = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}`, headers: bearer() });
  assert.equal(status.json().model_version_status[0].state, 'AVAILABLE');
  const index = await app.inject({ method: 'POST', url: '/v2/repository/index', headers: bearer(ADMIN) });
  assert.deepEqual(index.json(), [{ name: MODEL, version: '1', state: 'READY' }]);
});
