import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { LayersModel } from '@tensorflow/tfjs';
import { isTachyonError } from '@tachyon-serve/protocol';
import { OnnxRuntimeBackend } from '../../src/backends/index.js';
import { KerasStage, createTfjsRuntime, kerasDenseHeadToOnnx } from '../../src/keras/index.js';
import { buildTestHead, seededRows } from './keras-fixtures.js';

/** Writes the converted model, runs it in onnxruntime and tfjs on the same rows, returns the largest difference. */
async function maxDifference(t: TestContext, model: LayersModel, features: number, classes: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-head-onnx-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'head.onnx');
  await writeFile(path, kerasDenseHeadToOnnx(model));

  const backend = new OnnxRuntimeBackend({ workers: 1 });
  t.after(() => backend.close());
  const session = await backend.createSession(path);
  assert.deepEqual(session.inputs, [{ name: 'input', dtype: 'float32', dims: [-1, features] }]);
  assert.deepEqual(session.outputs, [{ name: 'output', dtype: 'float32', dims: [-1, classes] }]);

  const rows = 7;
  const input = { dtype: 'float32' as const, dims: [rows, features], data: seededRows(rows, features, 11) };
  const fromOnnx = (await session.run({ input }))['output']!;
  const fromTfjs = await (await KerasStage.fromModel(model)).run(input);
  assert.deepEqual(fromOnnx.dims, [rows, classes]);
  assert.deepEqual(fromTfjs.dims, [rows, classes]);
  let max = 0;
  for (let i = 0; i < rows * classes; i++)
    max = Math.max(max, Math.abs(Number(fromOnnx.data[i]) - Number(fromTfjs.data[i])));
  return max;
}

test('a linear softmax head (Dense softmax) gives the same outputs in onnxruntime as in tfjs', async (t) => {
  const model = await buildTestHead({ features: 32, hidden: 0, classes: 5, seed: 4 });
  t.after(() => model.dispose());
  assert.ok((await maxDifference(t, model, 32, 5)) <= 1e-5);
});

test('Dense relu -> Dropout -> Dense softmax gives the same outputs (Dropout is an inference no-op)', async (t) => {
  const model = await buildTestHead({ features: 20, hidden: 16, classes: 3, seed: 5 });
  t.after(() => model.dispose());
  assert.ok((await maxDifference(t, model, 20, 3)) <= 1e-5);
});

test('a functional model with a bias-free Dense, an Activation and a Softmax layer converts too', async (t) => {
  const { tf } = await createTfjsRuntime();
  const init = (seed: number) => tf.initializers.randomNormal({ stddev: 0.5, seed });
  const input = tf.input({ shape: [10] });
  let x = tf.layers
    .dense({ units: 12, useBias: false, kernelInitializer: init(1) })
    .apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as typeof x;
  x = tf.layers.dense({ units: 6, kernelInitializer: init(2), biasInitializer: init(3) }).apply(x) as typeof x;
  x = tf.layers.softmax().apply(x) as typeof x;
  const model = tf.model({ inputs: input, outputs: x });
  t.after(() => model.dispose());
  assert.ok((await maxDifference(t, model, 10, 6)) <= 1e-5);
});

test('layers other than Dense/Activation/Softmax/Dropout are refused with TCH_ERR_GRAPH_FUSE_UNSUPPORTED', async (t) => {
  const { tf } = await createTfjsRuntime();
  const withNorm = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3 }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'softmax' }),
    ],
  });
  t.after(() => withNorm.dispose());
  assert.throws(
    () => kerasDenseHeadToOnnx(withNorm),
    (e) => isTachyonError(e, 'TCH_ERR_GRAPH_FUSE_UNSUPPORTED') && e.details?.['className'] === 'BatchNormalization',
  );

  const elu = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'elu' })] });
  t.after(() => elu.dispose());
  assert.throws(
    () => kerasDenseHeadToOnnx(elu),
    (e) => isTachyonError(e, 'TCH_ERR_GRAPH_FUSE_UNSUPPORTED') && /activation "elu"/.test(e.message),
  );

  assert.throws(() => kerasDenseHeadToOnnx({} as LayersModel), TypeError);
});
