import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ServiceDefinition,
  ServicePipeline,
  classifierStage,
  compileModelSources,
  featurizerStage,
  imageStage,
  kerasStage,
  saveKerasModel,
} from '../../src/index.js';
import { buildTestHead } from '../keras/keras-fixtures.js';
import { sampleImagesDir, sharedDir } from '@tachyon-serve/test-support';

test('a Keras Dense head after an ONNX featurizer is converted and fused into one graph, with the same scores', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-keras-fuse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const head = await buildTestHead({ features: 1280, hidden: 16, classes: 4, seed: 3 });
  await saveKerasModel(head, join(dir, 'head'));
  head.dispose();

  const def = new ServiceDefinition('custom-head');
  def.pipeline.push(
    imageStage('torchvision224'),
    featurizerStage('mobilenetv2', { dtype: 'int8' }),
    kerasStage(join(dir, 'head'), { name: 'head' }),
    classifierStage({ labels: ['a', 'b', 'c', 'd'], outputKind: 'probabilities', topK: 2 }),
  );
  const sources = compileModelSources({
    cacheDir: join(dir, 'cache'),
    modelPath: [join(sharedDir(), 'models')],
    env: {},
  });
  const saved = await def.save(join(dir, 'def.zip'), { sources });
  const loaded = await ServiceDefinition.load(saved.path, { cacheDir: join(dir, 'cache'), env: {} });

  const fused = await ServicePipeline.create(loaded.manifest, loaded.dir, { fuse: true });
  const unfused = await ServicePipeline.create(loaded.manifest, loaded.dir, { fuse: false });
  t.after(() => Promise.all([fused.close(), unfused.close()]));
  assert.deepEqual(fused.plan, [
    { kind: 'image', stages: ['preprocess'] },
    { kind: 'onnx', stages: ['featurizer', 'head'] },
    { kind: 'classifier', stages: ['classifier'] },
  ]);
  assert.deepEqual(
    unfused.plan.map((u) => u.kind),
    ['image', 'onnx', 'keras', 'classifier'],
  );

  const images = ['n01440764_tench.JPEG', 'n07747607_orange.JPEG'].map((f) => readFileSync(join(sampleImagesDir(), f)));
  const a = (await fused.scores(images)).data as Float32Array;
  const b = (await unfused.scores(images)).data as Float32Array;
  assert.equal(a.length, 8);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5, `score ${i}: ${a[i]} vs ${b[i]}`);
  const [first] = await fused.run(images);
  assert.equal(first!.length, 2);
});
