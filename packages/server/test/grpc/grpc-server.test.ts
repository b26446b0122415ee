import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { infer } from '@tachyon-serve/core';
import type { ModelHost } from '@tachyon-serve/core';
import {
  MODEL_NAME,
  createTestHost,
  readSample,
  startTestServer,
  topIndices,
  tritonRawBytes,
  unary,
  unaryError,
  type TestServer,
} from './grpc-fixtures.js';

// One real model (mobilenetv2-int8) and one server for the whole file; auth on, so every call shows the key path.
const KEY = 'primary-key-for-grpc-tests';
const AUTH = { authorization: `Bearer ${KEY}` };
let host: ModelHost;
let closeHost: () => Promise<void>;
let server: TestServer;
let tench: Buffer;
let goldfish: Buffer;
const CLASSES = 1000;

before(async () => {
  ({ host, close: closeHost } = await createTestHost());
  server = await startTestServer(host, { auth: { keys: () => [KEY] } });
  tench = await readSample('n01440764_tench.JPEG');
  goldfish = await readSample('n01443537_goldfish.JPEG');
});
after(async () => {
  await server?.close();
  await closeHost?.();
});

interface InferOutput {
  name: string;
  datatype: string;
  shape: number[];
  contents: { fp32_contents: number[]; bytes_contents: Buffer[] } | null;
}
interface InferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  outputs: InferOutput[];
  raw_output_contents: Buffer[];
}
interface TensorProto {
  dtype: string;
  tensor_shape: { dim: { size: number }[] };
  float_val: number[];
}
interface PredictResponseMessage {
  model_spec: { name: string; version: { value: number } | null; signature_name: string };
  outputs: Record<string, TensorProto>;
}

const imagesInput = (images: Buffer[]) => ({
  name: 'images',
  datatype: 'BYTES',
  shape: [images.length],
  contents: { bytes_contents: images },
});

async function directTop5(image: Buffer): Promise<number[]> {
  const res = await infer(
    host,
    { modelName: MODEL_NAME, inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [image] }] },
    { maxImagesPerRequest: 64 },
  );
  return topIndices(res.outputs[0]!.data as Float32Array, 5).map((e) => e.index);
}

test('ServerLive, ServerReady and ServerMetadata answer without a key; ModelReady and ModelMetadata with the model key', async () => {
  assert.deepEqual((await unary(server.kserve, 'ServerLive', {})).response, { live: true });
  assert.deepEqual((await unary(server.kserve, 'ServerReady', {})).response, { ready: true });
  const meta = (
    await unary<{ name: string; version: string; extensions: string[] }>(server.kserve, 'ServerMetadata', {})
  ).response;
  assert.equal(meta.name, 'tachyon');
  assert.match(meta.version, /^\d+\.\d+\.\d+/);
  assert.ok(meta.extensions.includes('classification'));
  assert.deepEqual((await unary(server.kserve, 'ModelReady', { name: MODEL_NAME }, AUTH)).response, { ready: true });
  assert.deepEqual((await unary(server.kserve, 'ModelReady', { name: MODEL_NAME, version: '1' }, AUTH)).response, {
    ready: true,
  });
  assert.deepEqual((await unary(server.kserve, 'ModelReady', { name: MODEL_NAME, version: '7' }, AUTH)).response, {
    ready: false,
  });
  assert.deepEqual((await unary(server.kserve, 'ModelReady', { name: 'nope' }, AUTH)).response, { ready: false });
  const model = (await unary(server.kserve, 'ModelMetadata', { name: MODEL_NAME }, AUTH)).response;
  assert.deepEqual(model, {
    name: MODEL_NAME,
    versions: ['1'],
    platform: 'tachyon_pipeline',
    inputs: [
      { name: 'images', datatype: 'BYTES', shape: [-1] },
      { name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] },
    ],
    outputs: [
      { name: 'scores', datatype: 'FP32', shape: [-1, CLASSES] },
      { name: 'logits', datatype: 'FP32', shape: [-1, CLASSES] },
    ],
  });
  for (const method of ['ModelReady', 'ModelMetadata']) {
    const e = await unaryError(server.kserve, method, { name: MODEL_NAME });
    assert.equal(e.code, 16, method);
  }
});

test('KServe ModelInfer with bytes_contents returns FP32 scores in contents, the request id and Server-Timing', async () => {
  const { response, initial, trailers } = await unary<InferResponseMessage>(
    server.kserve,
    'ModelInfer',
    { model_name: MODEL_NAME, id: 'my-infer-id', inputs: [imagesInput([tench, goldfish])] },
    { ...AUTH, 'x-request-id': 'req-kserve-1' },
  );
  assert.equal(response.model_name, MODEL_NAME);
  assert.equal(response.model_version, '1');
  assert.equal(response.id, 'my-infer-id');
  assert.equal(response.raw_output_contents.length, 0);
  const [out] = response.outputs;
  assert.equal(out!.name, 'scores');
  assert.equal(out!.datatype, 'FP32');
  assert.deepEqual(out!.shape, [2, CLASSES]);
  const scores = out!.contents!.fp32_contents;
  assert.equal(scores.length, 2 * CLASSES);
  assert.equal(topIndices(scores.slice(0, CLASSES), 1)[0]!.index, 0, 'tench is class 0');
  assert.equal(topIndices(scores.slice(CLASSES), 1)[0]!.index, 1, 'goldfish is class 1');
  const sum = scores.slice(0, CLASSES).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `confidences sum to ${sum}`);
  assert.deepEqual(initial.get('x-request-id'), ['req-kserve-1']);
  assert.deepEqual(initial.get('request_id'), ['req-kserve-1']);
  assert.deepEqual(trailers.get('x-request-id'), ['req-kserve-1']);
  const timing = String(trailers.get('server-timing')[0]);
  for (const part of ['queue', 'preprocess', 'compute', 'postprocess', 'total'])
    assert.match(timing, new RegExp(`${part};dur=\\d+\\.\\d{3}`));
});

test('KServe ModelInfer with raw_input_contents (Triton BYTES layout) answers in raw_output_contents', async () => {
  const { response } = await unary<InferResponseMessage>(
    server.kserve,
    'ModelInfer',
    {
      model_name: MODEL_NAME,
      model_version: '1',
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [2, 1] }],
      outputs: [{ name: 'scores' }],
      raw_input_contents: [tritonRawBytes([tench, goldfish])],
    },
    AUTH,
  );
  const [out] = response.outputs;
  assert.equal(out!.contents, null, 'no typed contents beside raw ones');
  assert.deepEqual(out!.shape, [2, CLASSES]);
  assert.equal(response.raw_output_contents.length, 1);
  const raw = response.raw_output_contents[0]!;
  assert.equal(raw.length, 2 * CLASSES * 4);
  const scores = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  assert.deepEqual(
    topIndices(scores.subarray(0, CLASSES), 5).map((e) => e.index),
    await directTop5(tench),
  );
  assert.equal(topIndices(scores.subarray(CLASSES), 1)[0]!.index, 1);
});

test('classification extension: parameters {classification: int64_param K} -> BYTES "score:index:label", contents and raw', async () => {
  const request = {
    model_name: MODEL_NAME,
    inputs: [imagesInput([tench])],
    outputs: [{ name: 'scores', parameters: { classification: { int64_param: 3 } } }],
  };
  const { response } = await unary<InferResponseMessage>(server.kserve, 'ModelInfer', request, AUTH);
  const [out] = response.outputs;
  assert.equal(out!.datatype, 'BYTES');
  assert.deepEqual(out!.shape, [1, 3]);
  const entries = out!.contents!.bytes_contents.map((b) => b.toString('utf8').split(':'));
  assert.equal(entries.length, 3);
  assert.equal(entries[0]![1], '0');
  assert.equal(entries[0]![2], 'tench');
  assert.deepEqual(
    entries.map((e) => Number(e[1])),
    (await directTop5(tench)).slice(0, 3),
  );

  const rawRequest = {
    ...request,
    inputs: [{ name: 'images', datatype: 'BYTES', shape: [1] }],
    raw_input_contents: [tritonRawBytes([tench])],
  };
  const rawResponse = (await unary<InferResponseMessage>(server.kserve, 'ModelInfer', rawRequest, AUTH)).response;
  const raw = rawResponse.raw_output_contents[0]!;
  const strings: string[] = [];
  for (let offset = 0; offset < raw.length; ) {
    const length = raw.readUInt32LE(offset);
    strings.push(raw.subarray(offset + 4, offset + 4 + length).toString('utf8'));
    offset += 4 + length;
  }
  assert.deepEqual(
    strings,
    out!.contents!.bytes_contents.map((b) => b.toString('utf8')),
  );
});

test('TF-Serving Predict: images DT_STRING -> output_alias and scores FP32 [N, C]; output_filter is honored', async () => {
  const predict = {
    model_spec: { name: MODEL_NAME, signature_name: 'serving_default' },
    inputs: { images: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 2 }] }, string_val: [tench, goldfish] } },
  };
  const { response, initial, trailers } = await unary<PredictResponseMessage>(server.tf, 'Predict', predict, {
    ...AUTH,
    'x-request-id': 'req-tf-1',
  });
  assert.deepEqual(Object.keys(response.outputs).sort(), ['output_alias', 'scores']);
  const alias = response.outputs['output_alias']!;
  assert.equal(alias.dtype, 'DT_FLOAT');
  assert.deepEqual(
    alias.tensor_shape.dim.map((d) => d.size),
    [2, CLASSES],
  );
  assert.equal(alias.float_val.length, 2 * CLASSES);
  assert.deepEqual(response.outputs['scores']!.float_val, alias.float_val);
  assert.equal(response.model_spec.name, MODEL_NAME);
  assert.equal(response.model_spec.version?.value, 1);
  assert.equal(response.model_spec.signature_name, 'serving_default');
  assert.deepEqual(initial.get('x-request-id'), ['req-tf-1']);
  assert.deepEqual(trailers.get('x-request-id'), ['req-tf-1']);
  assert.match(String(trailers.get('server-timing')[0]), /total;dur=/);

  const filtered = (
    await unary<PredictResponseMessage>(server.tf, 'Predict', { ...predict, output_filter: ['output_alias'] }, AUTH)
  ).response;
  assert.deepEqual(Object.keys(filtered.outputs), ['output_alias']);
});

test('TF-Serving Predict as the original Brainwave client sends it: no model_spec, one image, shape [1]', async () => {
  const request = { inputs: { images: { dtype: 7, tensor_shape: { dim: [{ size: 1 }] }, string_val: [goldfish] } } };
  const { response, initial } = await unary<PredictResponseMessage>(server.tf, 'Predict', request, AUTH);
  const scores = response.outputs['output_alias']!.float_val;
  assert.equal(scores.length, CLASSES);
  assert.equal(topIndices(scores, 1)[0]!.index, 1);
  assert.equal(response.model_spec.name, MODEL_NAME);
  assert.equal(initial.get('request_id').length, 1, 'the original client reads request_id from the initial metadata');
});

test('the same image gives the same top-5 over KServe contents, KServe raw, TF-Serving Predict and infer() directly', async () => {
  for (const image of [tench, goldfish]) {
    const expected = await directTop5(image);
    const contents = (
      await unary<InferResponseMessage>(
        server.kserve,
        'ModelInfer',
        { model_name: MODEL_NAME, inputs: [imagesInput([image])] },
        AUTH,
      )
    ).response;
    const raw = (
      await unary<InferResponseMessage>(
        server.kserve,
        'ModelInfer',
        {
          model_name: MODEL_NAME,
          inputs: [{ name: 'images', datatype: 'BYTES', shape: [1] }],
          raw_input_contents: [tritonRawBytes([image])],
        },
        AUTH,
      )
    ).response;
    const tf = (
      await unary<PredictResponseMessage>(
        server.tf,
        'Predict',
        {
          model_spec: { name: MODEL_NAME },
          inputs: { images: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 1 }] }, string_val: [image] } },
        },
        AUTH,
      )
    ).response;
    const rawBytes = raw.raw_output_contents[0]!;
    const rawScores = new Float32Array(
      rawBytes.buffer.slice(rawBytes.byteOffset, rawBytes.byteOffset + rawBytes.length),
    );
    const contentsScores = contents.outputs[0]!.contents!.fp32_contents;
    assert.deepEqual(
      topIndices(contentsScores, 5).map((e) => e.index),
      expected,
      'KServe contents',
    );
    assert.deepEqual(
      topIndices(rawScores, 5).map((e) => e.index),
      expected,
      'KServe raw',
    );
    assert.deepEqual(
      topIndices(tf.outputs['output_alias']!.float_val, 5).map((e) => e.index),
      expected,
      'TF-Serving',
    );
    // Same float32 values on the wire, whichever encoding carried them.
    assert.deepEqual(Array.from(rawScores), contentsScores);
    assert.deepEqual(tf.outputs['output_alias']!.float_val, contentsScores);
  }
});

test('a request id is generated when the client sends none, and an unusable one is replaced', async () => {
  const { initial, trailers } = await unary(server.kserve, 'ServerLive', {});
  const id = String(initial.get('x-request-id')[0]);
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(trailers.get('x-request-id'), [id]);
  const long = await unary(server.kserve, 'ServerLive', {}, { 'x-request-id': 'x'.repeat(300) });
  assert.match(String(long.initial.get('x-request-id')[0]), /^[0-9a-f-]{36}$/);
});
