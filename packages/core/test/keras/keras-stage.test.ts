import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  KERAS_MODEL_FILE,
  KERAS_WEIGHTS_FILE,
  createKerasModel,
  createTfjsRuntime,
  saveKerasModel,
} from '../../src/keras/index.js';
import { buildTestHead, seededRows } from './keras-fixtures.js';
import { tempDir } from '@tachyon-serve/test-support';

test('tfjs runs on the wasm backend, initialized once per process', async () => {
  const a = await createTfjsRuntime();
  const b = await createTfjsRuntime();
  assert.equal(a, b);
  assert.equal(a.backend, 'wasm', `fell back to cpu: ${a.fallbackReason}`);
  assert.equal(a.tf.getBackend(), 'wasm');
});

test('save + load round trip: stable file names, io specs read from the model, identical predictions', async (t) => {
  const dir = await tempDir(t, 'tachyon-keras-');
  const model = await buildTestHead({ features: 6, hidden: 8, classes: 4, seed: 1 });
  t.after(() => model.dispose());
  await saveKerasModel(model, dir);
  assert.deepEqual((await readdir(dir)).sort(), [KERAS_WEIGHTS_FILE, KERAS_MODEL_FILE].sort());
  const json = JSON.parse(await readFile(join(dir, KERAS_MODEL_FILE), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.deepEqual(json.weightsManifest[0].paths, [KERAS_WEIGHTS_FILE]);

  const stage = await createKerasModel(dir);
  t.after(() => stage.dispose());
  assert.deepEqual(stage.input, { name: 'input', dtype: 'float32', dims: [-1, 6] });
  assert.deepEqual(stage.output, { name: 'output', dtype: 'float32', dims: [-1, 4] });
  assert.equal(stage.backend, 'wasm');

  const { tf } = await createTfjsRuntime();
  const input = { dtype: 'float32' as const, dims: [5, 6], data: seededRows(5, 6, 3) };
  const out = await stage.run(input);
  assert.deepEqual(out.dims, [5, 4]);
  assert.ok(out.data instanceof Float32Array);
  const expected = tf.tidy(() =>
    (model.predict(tf.tensor2d(input.data, [5, 6])) as import('@tensorflow/tfjs').Tensor).dataSync(),
  );
  assert.deepEqual(Array.from(out.data as Float32Array), Array.from(expected));
  for (let r = 0; r < 5; r++) {
    const sum = Array.from((out.data as Float32Array).subarray(r * 4, r * 4 + 4)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, 'softmax rows sum to 1');
  }
  // Saving the loaded model again writes the same bytes.
  const again = await tempDir(t, 'tachyon-keras-');
  await saveKerasModel(stage, again);
  assert.deepEqual(await readFile(join(again, KERAS_WEIGHTS_FILE)), await readFile(join(dir, KERAS_WEIGHTS_FILE)));
});

test('run checks the input against the spec and refuses after dispose', async (t) => {
  const dir = await tempDir(t, 'tachyon-keras-');
  const model = await buildTestHead({ features: 3, hidden: 0, classes: 2, seed: 2 });
  t.after(() => model.dispose());
  await saveKerasModel(model, dir);
  const stage = await createKerasModel(dir);
  await assert.rejects(stage.run({ dtype: 'float32', dims: [1, 4], data: new Float32Array(4) }), (e) =>
    isTachyonError(e, 'TCH_ERR_TENSOR_SHAPE_MISMATCH'),
  );
  await assert.rejects(stage.run({ dtype: 'int32', dims: [1, 3], data: new Int32Array(3) }), (e) =>
    isTachyonError(e, 'TCH_ERR_TENSOR_DTYPE_MISMATCH'),
  );
  stage.dispose();
  await assert.rejects(stage.run({ dtype: 'float32', dims: [1, 3], data: new Float32Array(3) }), (e) =>
    isTachyonError(e, 'TCH_ERR_SESSION_CLOSED'),
  );
});

test('load failures are TCH_ERR_KERAS_LOAD_FAILED with the reason', async (t) => {
  const dir = await tempDir(t, 'tachyon-keras-');
  const expectFailure = async (path: string, reason: RegExp) =>
    assert.rejects(createKerasModel(path), (e) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_KERAS_LOAD_FAILED'), String(e));
      assert.match(String(e.details?.['reason']), reason);
      return true;
    });

  await expectFailure(join(dir, 'missing'), /ENOENT/);
  await expectFailure(dir, /model\.json cannot be read/);
  await writeFile(join(dir, KERAS_MODEL_FILE), '{ not json');
  await expectFailure(dir, /not valid JSON/);
  await writeFile(join(dir, KERAS_MODEL_FILE), JSON.stringify({ format: 'graph-model', modelTopology: {} }));
  await expectFailure(dir, /format "graph-model"/);

  const model = await buildTestHead({ features: 3, hidden: 0, classes: 2, seed: 2 });
  t.after(() => model.dispose());
  await saveKerasModel(model, dir);
  const json = JSON.parse(await readFile(join(dir, KERAS_MODEL_FILE), 'utf8'));
  json.weightsManifest[0].paths = ['../outside.bin'];
  await writeFile(join(dir, KERAS_MODEL_FILE), JSON.stringify(json));
  await expectFailure(dir, /not a relative path inside the model folder/);
  json.weightsManifest[0].paths = ['absent.bin'];
  await writeFile(join(dir, KERAS_MODEL_FILE), JSON.stringify(json));
  await expectFailure(dir, /weight shard "absent\.bin" cannot be read/);
  json.weightsManifest[0].paths = [KERAS_WEIGHTS_FILE];
  await writeFile(join(dir, KERAS_MODEL_FILE), JSON.stringify(json));
  await writeFile(join(dir, KERAS_WEIGHTS_FILE), new Uint8Array(5)); // truncated weights
  await expectFailure(dir, /the weight shards hold 5 bytes but the weights listed in model\.json need \d+/);
});
