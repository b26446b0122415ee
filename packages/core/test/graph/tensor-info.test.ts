import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { create } from '@bufbuild/protobuf';
import { encodeOnnxModel, floatValueInfo, fromValueInfo, onnx } from '../../src/graph/index.js';

test('floatValueInfo declares float32 with fixed and named dims, and reads back as TensorInfo', () => {
  const info = floatValueInfo('x', ['N', 3, 8, 8]);
  const type = info.type!.value;
  assert.equal(type.case, 'tensorType');
  assert.deepEqual(
    type.value!.shape!.dim.map((d) => d.value),
    [
      { case: 'dimParam', value: 'N' },
      { case: 'dimValue', value: 3n },
      { case: 'dimValue', value: 8n },
      { case: 'dimValue', value: 8n },
    ],
  );
  assert.deepEqual(fromValueInfo(info), { name: 'x', dtype: 'float32', dims: [-1, 3, 8, 8] });
});

test('a model declared with floatValueInfo runs in onnxruntime with any batch size', async () => {
  const model = create(onnx.ModelProtoSchema, {
    irVersion: 7n,
    opsetImport: [{ domain: '', version: 13n }],
    graph: {
      name: 'id',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [floatValueInfo('x', ['N', 2])],
      output: [floatValueInfo('y', ['N', 2])],
    },
  });
  const session = await ort.InferenceSession.create(encodeOnnxModel(model));
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]) });
  assert.deepEqual(out['y']!.dims, [3, 2]);
  assert.deepEqual([...(out['y']!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
});

test('floatValueInfo refuses a bad name or dimension, naming the argument', () => {
  assert.throws(
    () => floatValueInfo('', [1]),
    (e: unknown) => e instanceof TypeError && /^name/.test(e.message),
  );
  assert.throws(
    () => floatValueInfo('x', 'N' as unknown as string[]),
    (e: unknown) => e instanceof TypeError && /^dims /.test(e.message),
  );
  assert.throws(
    () => floatValueInfo('x', ['N', -1]),
    (e: unknown) => e instanceof TypeError && /^dims\[1\]/.test(e.message),
  );
  assert.throws(
    () => floatValueInfo('x', [1.5]),
    (e: unknown) => e instanceof TypeError && /^dims\[0\]/.test(e.message),
  );
  assert.throws(
    () => floatValueInfo('x', ['']),
    (e: unknown) => e instanceof TypeError && /^dims\[0\]/.test(e.message),
  );
});
