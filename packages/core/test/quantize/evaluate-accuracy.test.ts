import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openServedModel, evaluateAccuracy, readLabelledImages } from '../../src/index.js';
import { sampleImagesDir, sharedModel } from '@tachyon-serve/test-support';

async function tempFile(t: TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-labels-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'labels.tsv');
  await writeFile(file, text);
  return file;
}

test('labels.tsv of ../shared/images: 1000 images, files resolved against the folder', async () => {
  const images = await readLabelledImages(join(sampleImagesDir(), 'labels.tsv'), sampleImagesDir());
  assert.equal(images.length, 1000);
  assert.deepEqual(images[0], { file: join(sampleImagesDir(), 'n01440764_tench.JPEG'), classIndex: 0 });
  assert.equal(images[999]!.classIndex, 999);
});

test('headerless FILE<TAB>INDEX lines are accepted; malformed files are TCH_ERR_EVAL_LABELS_INVALID', async (t) => {
  assert.deepEqual(await readLabelledImages(await tempFile(t, 'a.jpg\t3\nb.jpg\t4\n'), '/imgs'), [
    { file: '/imgs/a.jpg', classIndex: 3 },
    { file: '/imgs/b.jpg', classIndex: 4 },
  ]);
  await assert.rejects(readLabelledImages(await tempFile(t, ''), '/imgs'), { code: 'TCH_ERR_EVAL_LABELS_INVALID' });
  await assert.rejects(readLabelledImages(await tempFile(t, 'name\tlabel\na.jpg\t1\n'), '/imgs'), {
    code: 'TCH_ERR_EVAL_LABELS_INVALID',
    message: /"file" and "class_index"/,
  });
  await assert.rejects(readLabelledImages(await tempFile(t, 'a.jpg\t1\nb.jpg\tcat\n'), '/imgs'), {
    code: 'TCH_ERR_EVAL_LABELS_INVALID',
    message: /line 2/,
  });
  await assert.rejects(readLabelledImages(await tempFile(t, '../x.jpg\t1\n'), '/imgs'), {
    code: 'TCH_ERR_EVAL_LABELS_INVALID',
  });
  await assert.rejects(readLabelledImages('/nonexistent/labels.tsv', '/imgs'), { code: 'TCH_ERR_IO_NOT_FOUND' });
});

test('evaluateAccuracy counts top-1 and top-5 hits against the labels', async (t) => {
  const classifier = await openServedModel(sharedModel('mobilenetv2-fp32.onnx'), { preset: 'torchvision224' });
  t.after(() => classifier.close());
  const dir = sampleImagesDir();
  // tench and goldfish labelled right, then the tench labelled as class 500: a miss
  const images = [
    { file: join(dir, 'n01440764_tench.JPEG'), classIndex: 0 },
    { file: join(dir, 'n01443537_goldfish.JPEG'), classIndex: 1 },
    { file: join(dir, 'n01440764_tench.JPEG'), classIndex: 500 },
  ];
  const progress: number[] = [];
  const [result] = await evaluateAccuracy([{ name: 'm', classifier }], images, {
    onProgress: (done) => progress.push(done),
  });
  assert.deepEqual(
    { ...result, top1: +result!.top1.toFixed(2), top5: +result!.top5.toFixed(2) },
    { name: 'm', images: 3, top1: 66.67, top5: 66.67, predictions: [0, 1, 0] },
  );
  assert.deepEqual(progress, [1, 2, 3]);
  await assert.rejects(
    evaluateAccuracy([{ name: 'm', classifier }], [{ file: join(dir, 'missing.jpg'), classIndex: 0 }]),
    { code: 'TCH_ERR_IO_NOT_FOUND' },
  );
});
