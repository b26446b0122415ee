import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import { createImageDataset, trainHead, type TrainHeadOptions } from '../../src/training/index.js';
import { buildFakeExtractor, separableFiles, writeDataset } from './fake-dataset.js';
import { tempDir } from '@tachyon-serve/test-support';

function options(images: string, extra: Partial<TrainHeadOptions> = {}): TrainHeadOptions {
  return { images, featureExtractor: buildFakeExtractor(), epochs: 1, ...extra };
}

function invalid(issues: number, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_TRAIN_DATASET_INVALID'), String(e));
    assert.equal((e.details?.['issues'] as unknown[]).length, issues, JSON.stringify(e.details));
    assert.match(e.message, pattern);
    return true;
  };
}

test('fewer than two class folders with images is TCH_ERR_TRAIN_DATASET_INVALID', async (t) => {
  const dir = await tempDir(t, 'tachyon-train-');
  await assert.rejects(
    trainHead(options(await writeDataset(join(dir, 'one'), separableFiles(['cats'], 5)))),
    invalid(1, /1 class folder has usable images/),
  );
  // Empty class folders and loose files are not classes.
  const images = await writeDataset(join(dir, 'empty'), {
    cats: separableFiles(['cats'], 3)['cats']!,
    dogs: {},
    notes: { 'readme.md': 'x' },
  });
  await assert.rejects(createImageDataset(images), invalid(1, /at least 2 are needed/));
  await mkdir(join(dir, 'nothing'));
  await assert.rejects(trainHead(options(join(dir, 'nothing'))), invalid(1, /0 class folders have usable images/));
});

test('a class with a single image is TCH_ERR_TRAIN_DATASET_INVALID, every such class listed', async (t) => {
  const files = separableFiles(['a', 'b', 'c', 'd'], 3);
  files['b'] = { 'only.jpg': '1:0' };
  files['d'] = { 'only.jpg': '3:0' };
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), files);
  await assert.rejects(trainHead(options(images)), (e) => {
    invalid(2, /class "b" has only 1 usable image; each class needs at least 2 \(and 1 more issue\)/)(e);
    assert.deepEqual(
      ((e as TachyonError).details!['issues'] as { class: string }[]).map((i) => i.class),
      ['b', 'd'],
    );
    return true;
  });
});

test('a class left with one usable image after corrupt ones are skipped is invalid too', async (t) => {
  const files = separableFiles(['a', 'b'], 3);
  files['b'] = { 'good.jpg': '1:0', 'bad1.jpg': 'BAD', 'bad2.jpg': 'BAD' };
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), files);
  await assert.rejects(trainHead(options(images)), (e) => {
    invalid(1, /class "b" has only 1 usable image/)(e);
    assert.equal((e as TachyonError).details!['skippedImages'], 2);
    return true;
  });
});

test('a missing image folder is TCH_ERR_IO_NOT_FOUND', async (t) => {
  const dir = await tempDir(t, 'tachyon-train-');
  await assert.rejects(trainHead(options(join(dir, 'absent'))), (e) => isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'));
});

test('misuse of the options is a TypeError or RangeError naming the option', async (t) => {
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), separableFiles(['a', 'b'], 3));
  await assert.rejects(trainHead(options(images, { featureCacheDir: '/tmp/x' })), /featureExtractorId is required/);
  await assert.rejects(trainHead(options(images, { validationSplit: 1 })), RangeError);
  await assert.rejects(trainHead(options(images, { epochs: 0 })), /options\.epochs/);
  await assert.rejects(trainHead(options(images, { hidden: 1.5 })), RangeError);
  await assert.rejects(trainHead({ ...options(images), featureExtractor: 'mobilenet' as never }), TypeError);
  await assert.rejects(
    trainHead({ ...options(images), epoch: 3 } as TrainHeadOptions),
    /options\.epoch is not a trainHead option/,
  );
});

test('an extractor that breaks its contract or fails for another reason than the image stops training', async (t) => {
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), separableFiles(['a', 'b'], 3));
  const tooFew = async (batch: Uint8Array[]) => batch.slice(1).map(() => new Float32Array(4));
  await assert.rejects(trainHead(options(images, { featureExtractor: tooFew })), /one Float32Array per image/);
  const nan = async (batch: Uint8Array[]) => batch.map(() => new Float32Array([0, NaN]));
  await assert.rejects(trainHead(options(images, { featureExtractor: nan })), /NaN or infinite/);
  const crashed = async () => {
    throw new TachyonError('TCH_ERR_WORKER_CRASHED', 'A session worker exited unexpectedly.');
  };
  await assert.rejects(trainHead(options(images, { featureExtractor: crashed })), (e) =>
    isTachyonError(e, 'TCH_ERR_WORKER_CRASHED'),
  );
});
