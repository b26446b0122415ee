import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  openServedModel,
  OnnxRuntimeBackend,
  evaluateAccuracy,
  imageCalibrationSet,
  listImageFiles,
  presetByName,
  quantizeOnnxFile,
  readLabelledImages,
  spreadSample,
} from '../../src/index.js';
import { sampleImagesDir, sharedModel } from '@tachyon-serve/test-support';

// SqueezeNet 1.1 (the real Caffe weights) quantized on 8 sample images, checked on 20 others: every Conv and
// Concat must run as an onnxruntime integer kernel, and the int8 model must still classify like the fp32 one.
// (The accuracy targets on 800 images are a benchmark: bench/src/quantize, bench/README.md.)
test('squeezenet1.1: quantized file fuses into QLinearConv/QLinearConcat and agrees with fp32 on held-out images', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-quantize-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const all = await listImageFiles(sampleImagesDir());
  assert.equal(all.length, 1000);
  const calibration = spreadSample(all, 8);
  const output = join(dir, 'squeezenet-int8.onnx');
  const report = await quantizeOnnxFile(
    sharedModel('squeezenet1.1-fp32.onnx'),
    output,
    imageCalibrationSet(calibration, presetByName('caffe227')),
  );
  assert.ok((await stat(output)).size < (await stat(sharedModel('squeezenet1.1-fp32.onnx'))).size / 3);
  assert.deepEqual(report.quantizedOps, { Conv: 26, Concat: 8, GlobalAveragePool: 1 });
  assert.deepEqual(report.fp32Ops, { Softmax: 1 });
  assert.equal(report.fusion!.ops['QLinearConv'], 26);
  assert.equal(report.fusion!.ops['QLinearConcat'], 8);
  assert.equal(report.fusion!.floatComputeOps, 0);

  const labelled = (await readLabelledImages(join(sampleImagesDir(), 'labels.tsv'), sampleImagesDir())).filter(
    (_, i) => i % 50 === 7,
  );
  assert.ok(labelled.every((l) => !calibration.includes(l.file)));
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const fp32 = await openServedModel(sharedModel('squeezenet1.1-fp32.onnx'), { preset: 'caffe227', backend });
  const int8 = await openServedModel(output, { preset: 'caffe227', backend });
  const [a, b] = await evaluateAccuracy(
    [
      { name: 'fp32', classifier: fp32 },
      { name: 'int8', classifier: int8 },
    ],
    labelled,
  );
  const agree = a!.predictions.filter((p, i) => p === b!.predictions[i]).length;
  t.diagnostic(`fp32 top-1 ${a!.top1} %, int8 top-1 ${b!.top1} %, agreement ${agree}/${labelled.length}`);
  assert.equal(a!.images, 20);
  assert.ok(agree >= 17, `int8 agrees with fp32 on only ${agree} of 20 images`);
  assert.ok(Math.abs(a!.top1 - b!.top1) <= 15);
});
