import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError, type ErrorCode } from '@tachyon-serve/protocol';
import {
  OnnxRuntimeBackend,
  compileModelSources,
  compileSchedulerOptions,
  graphOutputKind,
  openServedModel,
  preprocessImage,
  presetByName,
  readOnnxModel,
  softmax,
  type InferResponse,
  type ServedModel,
} from '../../src/index.js';
import { writeIdentityModel, writeOddSizeImageModel, writeSoftmaxClassifier } from '@tachyon-serve/test-support/models';
import { sampleImagesDir, sharedModel, tempDir } from '@tachyon-serve/test-support';

const backend = new OnnxRuntimeBackend();
test.after(() => backend.close());
const sources = compileModelSources({ modelPath: [join(sharedModel('x'), '..')], allowDownload: false });
const code = (c: ErrorCode) => (e: unknown) => isTachyonError(e, c);
const tench = () => readFile(join(sampleImagesDir(), 'n01440764_tench.JPEG'));

async function open(
  t: import('node:test').TestContext,
  ref: string,
  options: Parameters<typeof openServedModel>[1] = {},
): Promise<ServedModel> {
  const model = await openServedModel(ref, { sources, backend, ...options });
  t.after(() => model.close());
  return model;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('a tensor model is served exactly as declared; each bad input is refused with its code', async (t) => {
  const model = await open(t, await writeIdentityModel(tempDir(t, 'tachyon-serving-test-')), { name: 'identity' });
  assert.equal(model.kind, 'tensor');
  assert.deepEqual(model.metadata(), {
    name: 'identity',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }],
  });
  const data = [1.5, -2, 3.25, 4, 0.5, 6, -7, 8];
  const response = await model.infer({
    modelName: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data }],
  });
  assert.equal(response.outputs.length, 1);
  assert.deepEqual(
    { ...response.outputs[0]!, data: Array.from(response.outputs[0]!.data as Float32Array) },
    { name: 'y', datatype: 'FP32', shape: [2, 4], data },
  );
  const bad = (inputs: Parameters<ServedModel['infer']>[0]['inputs']) => model.infer({ modelName: 'identity', inputs });
  await assert.rejects(
    bad([{ name: 'z', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }]),
    code('TCH_ERR_TENSOR_INPUT_UNKNOWN'),
  );
  await assert.rejects(bad([]), code('TCH_ERR_TENSOR_INPUT_MISSING'));
  await assert.rejects(
    bad([{ name: 'x', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }]),
    code('TCH_ERR_TENSOR_DTYPE_MISMATCH'),
  );
  await assert.rejects(
    bad([{ name: 'x', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] }]),
    code('TCH_ERR_TENSOR_SHAPE_MISMATCH'),
  );
  await assert.rejects(
    bad([{ name: 'x', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4] }]),
    code('TCH_ERR_TENSOR_SHAPE_MISMATCH'),
  );
  await assert.rejects(
    model.infer({
      modelName: 'identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
      outputs: [{ name: 'nope' }],
    }),
    code('TCH_ERR_INFER_INVALID'),
  );
  await assert.rejects(
    model.infer({
      modelName: 'identity',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
      outputs: [{ name: 'y', classification: 2 }],
    }),
    code('TCH_ERR_INFER_INVALID'),
  );
});

test('tensor requests are batched: concurrent requests share a session call and each gets its own rows back', async (t) => {
  const scheduler = compileSchedulerOptions({ concurrency: 1, maxBatchSize: 16, maxQueueDelayMs: 50 });
  const model = await open(t, await writeIdentityModel(tempDir(t, 'tachyon-serving-test-')), {
    name: 'identity',
    scheduler,
  });
  const requests = Array.from({ length: 4 }, (_, r) => Array.from({ length: 8 }, (_, i) => r * 100 + i));
  const responses = await Promise.all(
    requests.map((data) =>
      model.infer({ modelName: 'identity', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data }] }),
    ),
  );
  responses.forEach((response, r) =>
    assert.deepEqual(Array.from(response.outputs[0]!.data as Float32Array), requests[r]),
  );
  assert.ok(
    responses.some((response) => response.batchRows > 2),
    `batch rows: ${responses.map((r) => r.batchRows).join(', ')}`,
  );
});

test('MobileNetV2 fed its own FP32 [1, 3, 224, 224] tensor answers as onnxruntime in process does', async (t) => {
  const model = await open(t, sharedModel('mobilenetv2-int8-qdq.onnx'), { name: 'mnv2' });
  assert.equal(model.kind, 'image-classifier');
  assert.deepEqual(
    model.metadata().inputs.map((i) => [i.name, i.datatype, i.shape]),
    [
      ['images', 'BYTES', [-1]],
      ['input', 'FP32', [-1, 3, 224, 224]],
    ],
  );
  const pixels = await preprocessImage(await tench(), presetByName('torchvision224'));
  const session = await backend.createSession(sharedModel('mobilenetv2-int8-qdq.onnx'));
  t.after(() => session.close());
  const expected = (await session.run({ input: { dtype: 'float32', dims: pixels.dims, data: pixels.data.slice() } }))[
    'logits'
  ]!.data as Float32Array;
  const response = await model.infer({
    modelName: 'mnv2',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels.data.slice() }],
    outputs: [{ name: 'logits' }, { name: 'scores' }],
  });
  assert.ok(maxDiff(response.outputs[0]!.data as Float32Array, expected) <= 1e-6);
  assert.ok(maxDiff(response.outputs[1]!.data as Float32Array, softmax(expected)) <= 1e-6);
  // Without outputs named, a tensor request gets the graph's output, an image request the probabilities.
  const byDefault = await model.infer({
    modelName: 'mnv2',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels.data.slice() }],
  });
  assert.deepEqual(
    byDefault.outputs.map((o) => o.name),
    ['logits'],
  );
  await assert.rejects(
    model.infer({
      modelName: 'mnv2',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 227, 227], data: new Float32Array(3 * 227 * 227) }],
    }),
    code('TCH_ERR_TENSOR_SHAPE_MISMATCH'),
  );
});

test('defaults are decided once from the graph: logits 224, softmax 224 and softmax 227 models score like onnxruntime (no double softmax)', async (t) => {
  const dir = tempDir(t, 'tachyon-serving-test-');
  const cases = [
    { file: sharedModel('mobilenetv2-fp32.onnx'), preset: 'torchvision224', kind: 'logits', output: 'logits' },
    { file: await writeSoftmaxClassifier(dir), preset: 'torchvision224', kind: 'probabilities', output: 'prob' },
    { file: sharedModel('squeezenet1.1-fp32.onnx'), preset: 'caffe227', kind: 'probabilities', output: 'prob' },
  ] as const;
  const image = await tench();
  for (const c of cases) {
    assert.equal(graphOutputKind(await readOnnxModel(c.file), c.output), c.kind, c.file);
    const model = await open(t, c.file);
    const pixels = await preprocessImage(image, presetByName(c.preset));
    const session = await backend.createSession(c.file);
    t.after(() => session.close());
    const raw = (await session.run({ input: { dtype: 'float32', dims: pixels.dims, data: pixels.data } }))[c.output]!
      .data as Float32Array;
    const expected = c.kind === 'logits' ? softmax(raw) : raw;
    const [top] = await model.classify([image], { topK: 5 });
    assert.equal(top![0]!.index, 0, `${c.file}: tench`);
    for (const entry of top!)
      assert.ok(
        Math.abs(entry.score - expected[entry.index]!) <= 1e-6,
        `${c.file}: ${entry.score} vs ${expected[entry.index]}`,
      );
    assert.ok(top![0]!.score > 0.5, `${c.file}: top-1 ${top![0]!.score} (a double softmax gives ~0.003)`);
  }
});

test('an input size no preset has asks for one; preset and output kind do not apply to a tensor model', async (t) => {
  const dir = tempDir(t, 'tachyon-serving-test-');
  await assert.rejects(
    openServedModel(await writeOddSizeImageModel(dir), { sources, backend }),
    code('TCH_ERR_IMAGE_PRESET_REQUIRED'),
  );
  await assert.rejects(
    openServedModel(await writeIdentityModel(dir), { sources, backend, preset: 'torchvision224' }),
    code('TCH_ERR_CONFIG_INVALID'),
  );
  const chosen = await open(t, await writeOddSizeImageModel(dir), {
    preset: 'torchvision224',
    labels: ['r', 'g', 'b'],
  });
  await assert.rejects(chosen.classify([await tench()]), code('TCH_ERR_TENSOR_SHAPE_MISMATCH'));
});

test('the int8 model ends in Q -> DQ after its Gemm: logits; the answer carries timings and the batch it ran in', async (t) => {
  assert.equal(graphOutputKind(await readOnnxModel(sharedModel('mobilenetv2-int8-qdq.onnx')), 'logits'), 'logits');
  const model = await open(t, 'mobilenetv2-int8', { name: 'mnv2' });
  const response: InferResponse = await model.infer({
    modelName: 'mnv2',
    inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [await tench()] }],
    outputs: [{ name: 'scores', classification: 3 }],
  });
  assert.equal(response.outputs[0]!.top![0]![0]!.label, 'tench');
  assert.deepEqual(
    Buffer.from((response.outputs[0]!.data as Uint8Array[])[0]!)
      .toString()
      .split(':')
      .slice(1),
    ['0', 'tench'],
  );
  assert.equal(response.batchRows, 1);
  assert.ok(response.timings.totalMs >= response.timings.computeMs);
});
