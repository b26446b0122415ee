import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  OnnxRuntimeBackend,
  ServiceDefinition,
  ServicePipeline,
  compileModelSources,
  defaultClassifier,
  featurizerStage,
  imageStage,
  preprocessImage,
  presetByName,
  resolveZooModel,
  zooEntry,
  type PresetName,
} from '../../src/index.js';
import { sampleImagesDir, sharedDir, tempDir } from '@tachyon-serve/test-support';

// Golden tolerances (data): featurizer + default classifier must reproduce the full model.
const CASES = [
  { family: 'mobilenetv2', dtype: 'fp32', preset: 'torchvision224', maxAbsDiff: 1e-4 },
  // int8: identical top-5 and within one output quantization step (the logits' DequantizeLinear scale).
  { family: 'mobilenetv2', dtype: 'int8', preset: 'torchvision224', maxAbsDiff: 0.153099 },
  { family: 'squeezenet1.1', dtype: 'fp32', preset: 'caffe227', maxAbsDiff: 1e-4 },
] as const;

const IMAGES = [
  'n01440764_tench.JPEG',
  'n02123045_tabby.JPEG',
  'n03417042_garbage_truck.JPEG',
  'n07747607_orange.JPEG',
];

const top5 = (row: ArrayLike<number>) => [...Array.from(row).keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 5);

for (const c of CASES) {
  test(`${c.family}-${c.dtype}: featurizer + default classifier, saved and loaded, equals the full model (fused and not)`, async (t) => {
    const dir = tempDir(t, 'tachyon-svc-');
    const backend = new OnnxRuntimeBackend();
    t.after(() => backend.close());
    const sources = compileModelSources({
      cacheDir: join(dir, 'cache'),
      modelPath: [join(sharedDir(), 'models')],
      env: {},
    });
    const def = new ServiceDefinition(`${c.family}-${c.dtype}`);
    def.pipeline.push(
      imageStage(c.preset as PresetName),
      featurizerStage(c.family, { dtype: c.dtype }),
      defaultClassifier(),
    );
    const saved = await def.save(join(dir, 'model_def.zip'), { sources, backend });
    assert.deepEqual(
      saved.manifest.stages.map((s) => s.kind),
      ['image', 'featurizer', 'onnx', 'classifier'],
    );

    const loaded = await ServiceDefinition.load(saved.path, { cacheDir: join(dir, 'cache'), env: {} });
    assert.deepEqual(loaded.manifest, saved.manifest);

    // Reference: the full model from the zoo, run on the same preprocessed tensors.
    const entry = zooEntry(`${c.family}-${c.dtype}`);
    const full = await backend.createSession((await resolveZooModel(entry, sources)).path);
    const images = IMAGES.map((name) => readFileSync(join(sampleImagesDir(), name)));

    const fused = await ServicePipeline.create(loaded.manifest, loaded.dir, { backend, fuse: true });
    const unfused = await ServicePipeline.create(loaded.manifest, loaded.dir, { backend, fuse: false });
    t.after(() => Promise.all([fused.close(), unfused.close()]));
    assert.deepEqual(
      fused.plan.map((u) => u.kind),
      ['image', 'onnx', 'classifier'],
    );
    assert.deepEqual(fused.plan[1]!.stages, ['featurizer', 'classifier-head']);
    assert.deepEqual(
      unfused.plan.map((u) => u.kind),
      ['image', 'onnx', 'onnx', 'classifier'],
    );

    const fusedScores = (await fused.scores(images)).data as Float32Array;
    const unfusedScores = (await unfused.scores(images)).data as Float32Array;
    for (const [i, bytes] of images.entries()) {
      const { data, dims } = await preprocessImage(bytes, presetByName(c.preset));
      const expected = (await full.run({ [entry.input]: { dtype: 'float32', dims, data } }))[entry.output]!
        .data as Float32Array;
      for (const got of [fusedScores, unfusedScores]) {
        const row = got.subarray(i * 1000, (i + 1) * 1000);
        let maxDiff = 0;
        for (let k = 0; k < 1000; k++) maxDiff = Math.max(maxDiff, Math.abs(row[k]! - expected[k]!));
        assert.ok(maxDiff <= c.maxAbsDiff, `${IMAGES[i]}: max |diff| ${maxDiff} > ${c.maxAbsDiff}`);
        assert.deepEqual(top5(row), top5(expected), `${IMAGES[i]}: top-5`);
      }
    }
    const results = await fused.run(images);
    assert.equal(results[0]![0]!.label, 'tench');
    assert.equal(results[0]!.length, 5);
  });
}

test('loading a definition twice reuses its extraction; defaultClassifier topK is honoured', async (t) => {
  const dir = tempDir(t, 'tachyon-svc-');
  const sources = compileModelSources({
    cacheDir: join(dir, 'cache'),
    modelPath: [join(sharedDir(), 'models')],
    env: {},
  });
  const def = new ServiceDefinition('squeeze');
  def.pipeline.push(imageStage('caffe227'), featurizerStage('squeezenet1.1'), defaultClassifier({ topK: 3 }));
  const first = await def.save(join(dir, 'a.zip'), { sources });
  const loadedA = await ServiceDefinition.load(first.path, { cacheDir: join(dir, 'cache'), env: {} });
  const loadedB = await ServiceDefinition.load(first.path, { cacheDir: join(dir, 'cache'), env: {} });
  assert.equal(loadedA.dir, loadedB.dir);
  const pipeline = await ServicePipeline.create(loadedA.manifest, loadedA.dir);
  t.after(() => pipeline.close());
  const [result] = await pipeline.run([readFileSync(join(sampleImagesDir(), 'n01443537_goldfish.JPEG'))]);
  assert.equal(result!.length, 3);
  assert.equal(result![0]!.label, 'goldfish');
});
