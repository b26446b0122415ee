import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SHARED, SHARED_MODELS, runTachyon, sampleImage } from './support/cli-runner.js';
import { tempDir } from '@tachyon-serve/test-support';

const IMAGES = join(SHARED, 'images', 'imagenet-sample');
const LABELS = join(IMAGES, 'labels.tsv');
const SQUEEZENET = join(SHARED_MODELS, 'squeezenet1.1-fp32.onnx');

function calibrationFolder(dir: string): string {
  const folder = join(dir, 'calibration');
  mkdirSync(folder);
  for (const f of [
    'n01530575_brambling.JPEG',
    'n02099601_golden_retriever.JPEG',
    'n03792782_mountain_bike.JPEG',
    'n02123045_tabby.JPEG',
  ]) {
    copyFileSync(sampleImage(f), join(folder, f));
  }
  return folder;
}

test('quantize --json then evaluate fp32 vs int8: report, fused kernels, accuracy table as JSON with the difference', (t) => {
  const dir = tempDir(t, 'tachyon-cli-quantize-');
  const out = join(dir, 'squeezenet-int8.onnx');
  const q = runTachyon(
    ['quantize', SQUEEZENET, '--preset', 'caffe227', '--calibration', calibrationFolder(dir), '--out', out, '--json'],
    dir,
  );
  assert.equal(q.code, 0, q.stderr);
  const report = JSON.parse(q.stdout);
  assert.equal(report.calibrationSamples, 4);
  assert.equal(report.method, 'minmax');
  assert.equal(report.perChannel, true);
  assert.equal(report.fusion.ops.QLinearConv, 26);
  assert.ok(existsSync(out));
  // the op left in fp32 is named in a warning on stderr, and stdout stays pure JSON
  assert.match(q.stderr, /warning: Left in fp32 \(no int8 form here\): Softmax x1\./);

  const e = runTachyon(
    [
      'evaluate',
      SQUEEZENET,
      out,
      '--preset',
      'caffe227',
      '--images',
      IMAGES,
      '--labels',
      LABELS,
      '--limit',
      '6',
      '--json',
    ],
    dir,
  );
  assert.equal(e.code, 0, e.stderr);
  const summary = JSON.parse(e.stdout);
  assert.equal(summary.images, 6);
  assert.deepEqual(
    summary.models.map((m: { model: string }) => m.model),
    [SQUEEZENET, out],
  );
  for (const m of summary.models) assert.ok(m.top1 >= 0 && m.top1 <= m.top5 && m.top5 <= 100);
  assert.deepEqual(Object.keys(summary.difference).sort(), ['top1', 'top1Agreement', 'top5']);
  assert.ok(Math.abs(summary.difference.top1 - (summary.models[1].top1 - summary.models[0].top1)) <= 0.011);
});

test('evaluate prints a table by default', (t) => {
  const dir = tempDir(t, 'tachyon-cli-quantize-');
  const r = runTachyon(
    ['evaluate', SQUEEZENET, '--preset', 'caffe227', '--images', IMAGES, '--labels', LABELS, '--limit', '3'],
    dir,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^model +top-1 +top-5 +\(3 images\)\nsqueezenet1\.1-fp32\.onnx +\d+\.\d\d % +\d+\.\d\d %\n$/);
});

test('quantize refuses an int8 model, a bare file without --preset, and an empty calibration folder', (t) => {
  const dir = tempDir(t, 'tachyon-cli-quantize-');
  const calibration = calibrationFolder(dir);
  const int8 = runTachyon(
    [
      'quantize',
      join(SHARED_MODELS, 'mobilenetv2-int8-qdq.onnx'),
      '--preset',
      'torchvision224',
      '--calibration',
      calibration,
      '--out',
      join(dir, 'x.onnx'),
    ],
    dir,
  );
  assert.equal(int8.code, 1);
  assert.match(int8.stderr, /error TCH_ERR_QUANTIZE_ALREADY_QUANTIZED: /);
  const noPreset = runTachyon(
    ['quantize', SQUEEZENET, '--calibration', calibration, '--out', join(dir, 'x.onnx')],
    dir,
  );
  assert.equal(noPreset.code, 1);
  assert.match(noPreset.stderr, /--preset is required/);
  mkdirSync(join(dir, 'empty'));
  const empty = runTachyon(
    ['quantize', SQUEEZENET, '--preset', 'caffe227', '--calibration', join(dir, 'empty'), '--out', join(dir, 'x.onnx')],
    dir,
  );
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /error TCH_ERR_QUANTIZE_CALIBRATION_EMPTY: /);
  assert.ok(!existsSync(join(dir, 'x.onnx')));
});
