import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainHead, type TrainHeadOptions } from '../../src/training/index.js';
import { FAKE_FEATURES, buildFakeExtractor, separableFiles, writeDataset } from './fake-dataset.js';
import { tempDir } from '@tachyon-serve/test-support';

const CLASSES = ['zebra', 'apple', 'Mango'];

function options(images: string, extra: Partial<TrainHeadOptions> = {}): TrainHeadOptions {
  return {
    images,
    featureExtractor: buildFakeExtractor(),
    epochs: 15,
    learningRate: 0.05,
    batchSize: 8,
    seed: 3,
    ...extra,
  };
}

test('trains a softmax head: labels in sorted folder order, stratified split, metrics per epoch', async (t) => {
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), separableFiles(CLASSES, 10));
  const progress: string[] = [];
  const result = await trainHead(options(images, { onProgress: (p) => progress.push(p.stage) }));
  t.after(() => result.model.dispose());

  assert.deepEqual(result.labels, ['Mango', 'apple', 'zebra']);
  assert.deepEqual(result.classes, [
    { label: 'Mango', train: 8, validation: 2 },
    { label: 'apple', train: 8, validation: 2 },
    { label: 'zebra', train: 8, validation: 2 },
  ]);
  assert.equal(result.trainSize, 24);
  assert.equal(result.validationSize, 6);
  assert.equal(result.featureSize, FAKE_FEATURES);
  assert.equal(result.metrics.length, 15);
  assert.deepEqual(
    result.metrics.map((m) => m.epoch),
    Array.from({ length: 15 }, (_, i) => i + 1),
  );
  assert.ok(result.metrics.at(-1)!.loss < result.metrics[0]!.loss, 'the loss goes down');
  assert.equal(result.validationAccuracy, 1);
  assert.deepEqual(result.features, { computed: 30, cached: 0 });
  assert.deepEqual(result.skipped, []);
  assert.equal(result.backend, 'wasm');
  assert.deepEqual(result.model.inputs[0]!.shape, [null, FAKE_FEATURES]);
  assert.deepEqual(result.model.outputs[0]!.shape, [null, 3]);
  assert.deepEqual(
    result.model.layers.map((l) => l.getClassName()),
    ['Dropout', 'Dense'],
  );
  assert.equal(progress.filter((s) => s === 'epoch').length, 15);
  assert.ok(progress.indexOf('features') < progress.indexOf('epoch'));
});

test('the same seed gives the same split, metrics and weights; another seed does not', async (t) => {
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), separableFiles(CLASSES, 10));
  const run = async (seed: number) => {
    const r = await trainHead(options(images, { seed, hidden: 4 }));
    t.after(() => r.model.dispose());
    return { metrics: r.metrics, weights: r.model.getWeights().map((w) => Array.from(w.dataSync())) };
  };
  const a = await run(5);
  const b = await run(5);
  const c = await run(6);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.weights, c.weights);
});

test('features are cached by (extractor id, image sha256): a second run never calls the extractor', async (t) => {
  const dir = await tempDir(t, 'tachyon-train-');
  const images = await writeDataset(join(dir, 'images'), separableFiles(CLASSES, 4));
  const cache = join(dir, 'cache');
  const first = buildFakeExtractor();
  const r1 = await trainHead(
    options(images, {
      featureExtractor: first,
      featureExtractorId: 'fake-v1',
      featureCacheDir: cache,
      featureBatchSize: 5,
    }),
  );
  t.after(() => r1.model.dispose());
  assert.equal(first.images, 12);
  assert.equal(first.calls, 3, '12 images in batches of 5');

  const second = buildFakeExtractor();
  const r2 = await trainHead(
    options(images, { featureExtractor: second, featureExtractorId: 'fake-v1', featureCacheDir: cache }),
  );
  t.after(() => r2.model.dispose());
  assert.equal(second.calls, 0);
  assert.deepEqual(r2.features, { computed: 0, cached: 12 });
  assert.deepEqual(r2.metrics, r1.metrics);

  // A copy of an image under another name is the same sha256, so it is a cache hit too.
  await writeFile(join(images, 'apple', 'copy.png'), '1:0');
  const other = buildFakeExtractor();
  const r3 = await trainHead(
    options(images, { featureExtractor: other, featureExtractorId: 'fake-v2', featureCacheDir: cache }),
  );
  t.after(() => r3.model.dispose());
  assert.equal(other.images, 13, 'another extractor id does not reuse the vectors');
});

test('unreadable, empty and corrupt images are skipped and listed; other files are ignored and listed', async (t) => {
  const files = separableFiles(CLASSES, 5);
  files['apple']!['broken.jpg'] = 'BAD bytes';
  files['apple']!['empty.png'] = '';
  files['zebra']!['notes.txt'] = 'not an image';
  const dir = await tempDir(t, 'tachyon-train-');
  const images = await writeDataset(dir, files);
  await symlink(join(dir, 'nowhere.webp'), join(images, 'zebra', 'dangling.webp'));
  const result = await trainHead(options(images, { featureBatchSize: 4 }));
  t.after(() => result.model.dispose());

  const skipped = result.skipped.map((s) => [s.label, s.path.slice(images.length + 1), s.code]).sort();
  const expected = [
    ['apple', 'apple/broken.jpg', 'TCH_ERR_IMAGE_CORRUPT'],
    ['apple', 'apple/empty.png', 'TCH_ERR_IMAGE_EMPTY'],
    ['zebra', 'zebra/dangling.webp', 'TCH_ERR_IO_NOT_FOUND'],
  ];
  assert.deepEqual(skipped, expected);
  assert.ok(result.skipped.every((s) => s.reason.length > 0));
  assert.deepEqual(result.ignored, [join(images, 'zebra', 'notes.txt')]);
  assert.equal(result.trainSize + result.validationSize, 15, 'every good image is used');
});

test('validationSplit 0 trains on everything and reports no validation accuracy', async (t) => {
  const images = await writeDataset(await tempDir(t, 'tachyon-train-'), separableFiles(CLASSES, 3));
  const result = await trainHead(options(images, { validationSplit: 0, epochs: 2 }));
  t.after(() => result.model.dispose());
  assert.equal(result.validationSize, 0);
  assert.equal(result.trainSize, 9);
  assert.equal(result.validationAccuracy, null);
  assert.equal(result.metrics[1]!.validationLoss, null);
});
