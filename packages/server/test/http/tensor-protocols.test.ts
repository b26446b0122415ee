import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ModelHost,
  OnnxRuntimeBackend,
  compileModelSources,
  openServedModel,
  preprocessImage,
  presetByName,
} from '@tachyon-serve/core';
import type { FastifyInstance } from 'fastify';
import { startTestServer, unary, unaryError, type TestServer } from '../grpc/grpc-fixtures.js';
import { bearer, httpApp, PRIMARY } from '../support/http-fixture.js';
import { writeIdentityModel, writeSoftmaxClassifier } from '@tachyon-serve/test-support/models';
import { sharedDir } from '@tachyon-serve/test-support';

// KServe v2 tensor inference: a generated identity model (FP32 [N, 4]) and MobileNetV2 fed its own FP32 input,
// over HTTP JSON, HTTP binary tensor data and gRPC (typed contents and raw_input_contents), compared with
// onnxruntime in this process.
let host: ModelHost;
let dir: string;
let grpcServer: TestServer;
let expectedLogits: Float32Array;
let pixels: Float32Array;
const AUTH = { authorization: `Bearer ${PRIMARY}` };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tachyon-tensor-test-'));
  const sources = compileModelSources({
    modelPath: [join(sharedDir(), 'models')],
    cacheDir: dir,
    env: {},
    allowDownload: false,
  });
  host = await ModelHost.create({ sources });
  await host.load('identity', await writeIdentityModel(dir));
  await host.load('mnv2', join(sharedDir(), 'models', 'mobilenetv2-int8-qdq.onnx'));
  grpcServer = await startTestServer(host, { auth: { keys: () => [PRIMARY] } });
  const image = await readFile(join(sharedDir(), 'images', 'imagenet-sample', 'n01440764_tench.JPEG'));
  pixels = (await preprocessImage(image, presetByName('torchvision224'))).data;
  const backend = new OnnxRuntimeBackend();
  const session = await backend.createSession(join(sharedDir(), 'models', 'mobilenetv2-int8-qdq.onnx'));
  expectedLogits = (await session.run({ input: { dtype: 'float32', dims: [1, 3, 224, 224], data: pixels.slice() } }))[
    'logits'
  ]!.data as Float32Array;
  await backend.close();
});
after(async () => {
  await grpcServer.close();
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function app(t: import('node:test').TestContext): Promise<FastifyInstance> {
  return httpApp(t, host, { bodyLimit: 8 * 1024 * 1024 });
}

test('metadata lists the real tensors over HTTP and gRPC', async (t) => {
  const http = await app(t);
  const identity = (await http.inject({ method: 'GET', url: '/v2/models/identity', headers: bearer() })).json();
  assert.deepEqual(identity, {
    name: 'identity',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }],
  });
  const grpcMeta = (await unary(grpcServer.kserve, 'ModelMetadata', { name: 'identity' }, AUTH)).response as {
    inputs: unknown[];
    outputs: unknown[];
  };
  assert.deepEqual(grpcMeta.inputs, [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
  assert.deepEqual(grpcMeta.outputs, [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }]);
  const mnv2 = (await http.inject({ method: 'GET', url: '/v2/models/mnv2', headers: bearer() })).json();
  assert.deepEqual(mnv2.inputs[1], { name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] });
});

test('identity model over HTTP JSON, HTTP binary and gRPC: the same numbers back; bad name, dtype and shape refused', async (t) => {
  const http = await app(t);
  const data = [0.25, -1, 2.5, 3, 4, 5.5, -6, 7.125];
  const json = await http.inject({
    method: 'POST',
    url: '/v2/models/identity/infer',
    headers: bearer(),
    payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data }] },
  });
  assert.equal(json.statusCode, 200, json.body);
  assert.deepEqual(json.json().outputs, [{ name: 'y', datatype: 'FP32', shape: [2, 4], data }]);

  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } }],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    }),
  );
  const body = Buffer.concat([header, Buffer.from(Float32Array.from(data).buffer)]);
  const binary = await http.inject({
    method: 'POST',
    url: '/v2/models/identity/infer',
    headers: {
      ...bearer(),
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    },
    payload: body,
  });
  assert.equal(binary.statusCode, 200, binary.body);
  const jsonLength = Number(binary.headers['inference-header-content-length']);
  const out = binary.rawPayload.subarray(jsonLength);
  assert.deepEqual(Array.from(new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length))), data);

  const typed = await unary<{ outputs: { contents: { fp32_contents: number[] } }[] }>(
    grpcServer.kserve,
    'ModelInfer',
    {
      model_name: 'identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: data } }],
    },
    AUTH,
  );
  assert.deepEqual(typed.response.outputs[0]!.contents.fp32_contents, data);
  const raw = await unary<{ raw_output_contents: Buffer[] }>(
    grpcServer.kserve,
    'ModelInfer',
    {
      model_name: 'identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4] }],
      raw_input_contents: [Buffer.from(Float32Array.from(data).buffer)],
    },
    AUTH,
  );
  const rawOut = raw.response.raw_output_contents[0]!;
  assert.deepEqual(
    Array.from(new Float32Array(rawOut.buffer.slice(rawOut.byteOffset, rawOut.byteOffset + rawOut.length))),
    data,
  );

  const refused = async (input: object, code: string) => {
    const r = await http.inject({
      method: 'POST',
      url: '/v2/models/identity/infer',
      headers: bearer(),
      payload: { inputs: [input] },
    });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().code, code);
    const e = await unaryError(
      grpcServer.kserve,
      'ModelInfer',
      {
        model_name: 'identity',
        inputs: [
          {
            ...input,
            data: undefined,
            contents: input.hasOwnProperty('data')
              ? contentsOf(input as { datatype: string; data: number[] })
              : undefined,
          },
        ],
      },
      AUTH,
    );
    assert.equal(e.code, 3, `gRPC ${code}`); // INVALID_ARGUMENT
  };
  await refused({ name: 'nope', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }, 'TCH_ERR_TENSOR_INPUT_UNKNOWN');
  await refused({ name: 'x', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }, 'TCH_ERR_TENSOR_DTYPE_MISMATCH');
  await refused({ name: 'x', datatype: 'FP32', shape: [1, 2, 2], data: [1, 2, 3, 4] }, 'TCH_ERR_TENSOR_SHAPE_MISMATCH');
  await refused({ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3] }, 'TCH_ERR_INFER_INVALID');
});

function contentsOf(input: { datatype: string; data: number[] }): object {
  return input.datatype === 'INT32' ? { int_contents: input.data } : { fp32_contents: input.data };
}

test('MobileNetV2 fed an FP32 [1, 3, 224, 224] tensor over HTTP JSON, HTTP binary and gRPC equals onnxruntime in process', async (t) => {
  const http = await app(t);
  const json = await http.inject({
    method: 'POST',
    url: '/v2/models/mnv2/infer',
    headers: bearer(),
    payload: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: Array.from(pixels) }] },
  });
  assert.equal(json.statusCode, 200, json.body);
  assert.equal(json.json().outputs[0].name, 'logits');
  assert.ok(maxDiff(json.json().outputs[0].data, expectedLogits) <= 1e-6);

  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [1, 3, 224, 224],
          parameters: { binary_data_size: pixels.byteLength },
        },
      ],
      outputs: [{ name: 'logits', parameters: { binary_data: true } }],
    }),
  );
  const binary = await http.inject({
    method: 'POST',
    url: '/v2/models/mnv2/infer',
    headers: {
      ...bearer(),
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    },
    payload: Buffer.concat([header, Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)]),
  });
  assert.equal(binary.statusCode, 200, binary.body);
  const out = binary.rawPayload.subarray(Number(binary.headers['inference-header-content-length']));
  assert.ok(
    maxDiff(new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length)), expectedLogits) <= 1e-6,
  );

  const raw = await unary<{ raw_output_contents: Buffer[]; outputs: { name: string }[] }>(
    grpcServer.kserve,
    'ModelInfer',
    {
      model_name: 'mnv2',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224] }],
      raw_input_contents: [Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)],
    },
    AUTH,
  );
  assert.equal(raw.response.outputs[0]!.name, 'logits');
  const rawOut = raw.response.raw_output_contents[0]!;
  assert.ok(
    maxDiff(
      new Float32Array(rawOut.buffer.slice(rawOut.byteOffset, rawOut.byteOffset + rawOut.length)),
      expectedLogits,
    ) <= 1e-6,
  );
  const typed = await unary<{ outputs: { contents: { fp32_contents: number[] } }[] }>(
    grpcServer.kserve,
    'ModelInfer',
    {
      model_name: 'mnv2',
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], contents: { fp32_contents: Array.from(pixels) } },
      ],
    },
    AUTH,
  );
  assert.ok(maxDiff(typed.response.outputs[0]!.contents.fp32_contents, expectedLogits) <= 1e-6);
});

test('one engine, one set of numbers: in process, HTTP raw, KServe HTTP and gRPC agree to 1e-6 for a logits, a softmax and a 227 px model', async (t) => {
  const models = join(sharedDir(), 'models');
  const files = {
    logits224: join(models, 'mobilenetv2-fp32.onnx'),
    softmax224: await writeSoftmaxClassifier(dir, join(models, 'mobilenetv2-fp32.onnx')),
    softmax227: join(models, 'squeezenet1.1-fp32.onnx'),
  };
  const image = await readFile(join(sharedDir(), 'images', 'imagenet-sample', 'n01440764_tench.JPEG'));
  const http = await app(t);
  for (const [name, file] of Object.entries(files)) {
    await host.load(name, file);
    t.after(() => host.unload(name).catch(() => undefined));
    const local = await openServedModel(file, { sources: compileModelSources({ env: {}, allowDownload: false }) });
    const [inProcess] = await local.classify([image], { topK: 5 });
    await local.close();
    const rawRoute = (
      await http.inject({
        method: 'POST',
        url: `/v1/services/${name}/classify`,
        headers: { ...bearer(), 'content-type': 'image/jpeg' },
        payload: image,
      })
    ).json().results[0].top;
    const kserve = (
      await http.inject({
        method: 'POST',
        url: `/v2/models/${name}/infer`,
        headers: bearer(),
        payload: {
          inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: image.toString('base64') }] }],
        },
      })
    ).json().outputs[0].data as number[];
    const grpcScores = (
      await unary<{ outputs: { contents: { fp32_contents: number[] } }[] }>(
        grpcServer.kserve,
        'ModelInfer',
        {
          model_name: name,
          inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [image] } }],
        },
        AUTH,
      )
    ).response.outputs[0]!.contents.fp32_contents;
    assert.equal(inProcess![0]!.label, 'tench', name);
    assert.ok(inProcess![0]!.score > 0.5, `${name}: top-1 ${inProcess![0]!.score} (a double softmax gives ~0.003)`);
    for (const [i, entry] of inProcess!.entries()) {
      assert.equal(rawRoute[i].index, entry.index, name);
      assert.ok(Math.abs(rawRoute[i].score - entry.score) <= 1e-6, `${name} raw route`);
      assert.ok(Math.abs(kserve[entry.index]! - entry.score) <= 1e-6, `${name} KServe HTTP`);
      assert.ok(Math.abs(grpcScores[entry.index]! - entry.score) <= 1e-6, `${name} gRPC`);
    }
  }
});
