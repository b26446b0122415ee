import assert from 'node:assert/strict';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, floatValueInfo, fromValueInfo } from '../../src/graph/index.js';

const { onnx } = onnxProto;

test('floatValueInfo declares float32 with fixed and named dims, and reads back as TensorInfo', () => {
  const info = floatValueInfo('x', ['N', 3, 8, 8]);
  assert.deepEqual(info.type!.tensorType!.shape!.dim, [{ dimParam: 'N' }, { dimValue: 3 }, { dimValue: 8 }, { dimValue: 8 }]);
  assert.deepEqual(fromValueInfo(info), { name: 'x', dtype: 'float32', dims: [-1, 3, 8, 8] });
});

test('a model declared with floatValueInfo runs in onnxruntime with any batch size', async () => {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'id', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [floatValueInfo('x', ['N', 2])], output: [floatValueInfo('y', ['N', 2])] },
  });
  const session = await ort.InferenceSession.create(encodeOnnxModel(model));
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]) });
  assert.deepEqual(out['y']!.dims, [3, 2]);
  assert.deepEqual([...(out['y']!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
});

test('floatValueInfo refuses a bad name or dimension, naming the argument', () => {
  assert.throws(() => floatValueInfo('', [1]), (e: unknown) => e instanceof TypeError && /^name/.test(e.message));
  assert.throws(() => floatValueInfo('x', 'N' as unknown as string[]), (e: unknown) => e instanceof TypeError && /^dims /.test(e.message));
  assert.throws(() => floatValueInfo('x', ['N', -1]), (e: unknown) => e instanceof TypeError && /^dims\[1\]/.test(e.message));
  assert.throws(() => floatValueInfo('x', [1.5]), (e: unknown) => e instanceof TypeError && /^dims\[0\]/.test(e.message));
  assert.throws(() => floatValueInfo('x', ['']), (e: unknown) => e instanceof TypeError && /^dims\[0\]/.test(e.message));
});
