import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  OnnxRuntimeBackend,
  ServiceDefinition,
  ServicePipeline,
  compileModelSources,
  defaultClassifier,
  featurizerStage,
  imageStage,
  listImageFiles,
  readOnnxModel,
  spreadSample,
  type SaveProgress,
} from '../../src/index.js';
import { FEATURIZER_QUANTIZE_TOLERANCE as TOLERANCE } from '../quantize/tolerances.js';
import { sampleImagesDir, sharedDir, tempDir } from '@tachyon-serve/test-support';

const sourcesIn = (dir: string) =>
  compileModelSources({ cacheDir: join(dir, 'cache'), modelPath: [join(sharedDir(), 'models')], env: {} });

test('featurizerStage quantize: misuse is a TypeError/RangeError naming the option', () => {
  assert.throws(
    () => featurizerStage('mobilenetv2', { dtype: 'int8', quantize: { calibration: 'dir' } }),
    /^TypeError: options\.quantize: needs dtype "fp32"/,
  );
  assert.throws(
    () => featurizerStage('mobilenetv2', { quantize: { calibration: '' } }),
    /^TypeError: options\.quantize\.calibration must be/,
  );
  assert.throws(
    () => featurizerStage('mobilenetv2', { quantize: { calibration: [] } }),
    /^TypeError: options\.quantize\.calibration must be/,
  );
  assert.throws(
    () => featurizerStage('mobilenetv2', { quantize: { calibration: 'dir', samples: 0 } }),
    /^RangeError: options\.quantize\.samples must be an integer >= 1/,
  );
  assert.throws(
    () => featurizerStage('mobilenetv2', { quantize: { calibration: 'dir', method: 'kl' as 'entropy' } }),
    /^TypeError: options\.quantize\.method must be one of/,
  );
  assert.throws(
    () => featurizerStage('mobilenetv2', { quantize: { calibration: 'dir', percentile: 20 } }),
    /^RangeError: options\.quantize\.percentile must be in/,
  );
  const spec = featurizerStage('mobilenetv2', { quantize: { calibration: ['a.jpg'], method: 'percentile' } });
  assert.deepEqual(spec.quantize, {
    method: 'percentile',
    percentile: 99.999,
    perChannel: true,
    activationType: 'uint8',
    batchSize: 8,
    foldBatchNorm: true,
    calibration: ['a.jpg'],
    samples: 200,
  });
  assert.ok(Object.isFrozen(spec.quantize));
  assert.equal(featurizerStage('mobilenetv2').quantize, undefined);
});

test('an empty calibration folder fails save with TCH_ERR_QUANTIZE_CALIBRATION_EMPTY and writes nothing', async (t) => {
  const dir = tempDir(t, 'tachyon-svc-quantize-');
  mkdirSync(join(dir, 'empty'));
  const def = new ServiceDefinition('empty');
  def.pipeline.push(
    imageStage('torchvision224'),
    featurizerStage('mobilenetv2', { quantize: { calibration: join(dir, 'empty') } }),
    defaultClassifier(),
  );
  await assert.rejects(def.save(join(dir, 'x.zip'), { sources: sourcesIn(dir) }), (err: unknown) =>
    isTachyonError(err, 'TCH_ERR_QUANTIZE_CALIBRATION_EMPTY'),
  );
  assert.throws(() => statSync(join(dir, 'x.zip')), /ENOENT/);
});

test('mobilenetv2-fp32 with a quantized featurizer: saves, loads, runs, records the quantization, agrees with fp32 on top-1', async (t) => {
  const dir = tempDir(t, 'tachyon-svc-quantize-');
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const sources = sourcesIn(dir);
  const all = await listImageFiles(sampleImagesDir());
  const calibration = spreadSample(all, TOLERANCE.calibrationImages);
  const evaluation = all.filter((_, i) => i % 50 === 7).slice(0, TOLERANCE.evaluationImages);
  assert.equal(evaluation.length, TOLERANCE.evaluationImages);
  assert.ok(evaluation.every((f) => !calibration.includes(f)));

  const fp32 = new ServiceDefinition('mnv2-fp32');
  fp32.pipeline.push(imageStage('torchvision224'), featurizerStage('mobilenetv2'), defaultClassifier());
  const int8 = new ServiceDefinition('mnv2-tachyon-int8');
  int8.pipeline.push(
    imageStage('torchvision224'),
    featurizerStage('mobilenetv2', { quantize: { calibration } }),
    defaultClassifier(),
  );
  const progress: SaveProgress[] = [];
  const savedFp32 = await fp32.save(join(dir, 'fp32.zip'), { sources, backend });
  const savedInt8 = await int8.save(join(dir, 'int8.zip'), { sources, backend, onProgress: (p) => progress.push(p) });

  // The manifest records the quantization; the fp32 one has none.
  const stage = savedInt8.manifest.stages[1]!;
  assert.equal(stage.kind, 'featurizer');
  if (stage.kind !== 'featurizer') return;
  assert.equal(stage.model, 'mobilenetv2-fp32');
  assert.equal(stage.file, 'models/mobilenetv2-fp32.featurizer.int8.onnx');
  assert.deepEqual(stage.quantization, {
    tool: 'tachyon',
    method: 'minmax',
    samples: TOLERANCE.calibrationImages,
    perChannel: true,
    activationType: 'uint8',
  });
  assert.equal('quantization' in savedFp32.manifest.stages[1]!, false);
  // Progress: one event per calibration batch of 8, ending at 16 of 16.
  assert.deepEqual(progress, [
    { stage: 'featurizer', step: 'calibrating', done: 8, total: 16 },
    { stage: 'featurizer', step: 'calibrating', done: 16, total: 16 },
  ]);

  const loadedFp32 = await ServiceDefinition.load(savedFp32.path, { cacheDir: join(dir, 'cache'), env: {} });
  const loadedInt8 = await ServiceDefinition.load(savedInt8.path, { cacheDir: join(dir, 'cache'), env: {} });
  assert.deepEqual(loadedInt8.manifest, savedInt8.manifest);

  // The stored featurizer is int8 QDQ, the head is the fp32 one, and the file is much smaller.
  const ops = (file: string) =>
    readOnnxModel(join(loadedInt8.dir, file)).then((m) => (m.graph?.node ?? []).map((n) => n.opType));
  const featurizerOps = await ops(stage.file);
  assert.ok(
    featurizerOps.filter((op) => op === 'QuantizeLinear').length > 50,
    'QuantizeLinear nodes in the featurizer',
  );
  const head = (m: typeof savedInt8.manifest) =>
    m.files.find((f) => f.path === 'models/mobilenetv2-fp32.head.onnx')!.sha256;
  assert.equal(head(savedInt8.manifest), head(savedFp32.manifest), 'the head is the fp32 one, byte for byte');
  const sizeOf = (m: typeof savedInt8.manifest, path: string) => m.files.find((f) => f.path === path)!.size;
  assert.ok(
    sizeOf(savedInt8.manifest, stage.file) < sizeOf(savedFp32.manifest, 'models/mobilenetv2-fp32.featurizer.onnx') / 2,
  );

  const a = await ServicePipeline.create(loadedFp32.manifest, loadedFp32.dir, { backend });
  const b = await ServicePipeline.create(loadedInt8.manifest, loadedInt8.dir, { backend });
  t.after(() => Promise.all([a.close(), b.close()]));
  const images = evaluation.map((f) => readFileSync(f));
  const [ra, rb] = [await a.run(images), await b.run(images)];
  const agree = ra.filter((r, i) => r[0]!.index === rb[i]![0]!.index).length;
  t.diagnostic(`top-1 agreement of the tachyon-int8 featurizer with fp32: ${agree}/${images.length}`);
  assert.ok(agree >= TOLERANCE.minTop1Agreement, `int8 agrees with fp32 on only ${agree} of ${images.length} images`);
});
