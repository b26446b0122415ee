import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  openServedModel,
  OnnxRuntimeBackend,
  compileModelSources,
  resolveZooModel,
  zooEntry,
} from '../../src/index.js';
import { sampleImagesDir, sharedDir } from '@tachyon-serve/test-support';

// Real accuracy on the 1000 images of ../shared/images/imagenet-sample (one per class), against the top-1 stated in
// ../shared/models/README.md for the same images. Nothing in tachyon was tuned on these images: the presets are the
// models' published preprocessing.
const EXPECTED_TOP1 = { 'mobilenetv2-int8': 84.4, 'mobilenetv2-fp32': 83.8, 'squeezenet1.1-fp32': 68.0 } as const;

async function sampleSet(): Promise<{ file: string; classIndex: number }[]> {
  const tsv = await readFile(join(sampleImagesDir(), 'labels.tsv'), 'utf8');
  return tsv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .map(([file, classIndex]) => ({ file: join(sampleImagesDir(), file!), classIndex: Number(classIndex) }));
}

for (const [id, top1] of Object.entries(EXPECTED_TOP1)) {
  test(`${id}: top-1 on imagenet-sample within 1 point of ${top1} %`, async (t) => {
    const backend = new OnnxRuntimeBackend();
    t.after(() => backend.close());
    const entry = zooEntry(id);
    const { path } = await resolveZooModel(
      entry,
      compileModelSources({ modelPath: [join(sharedDir(), 'models')], env: {} }),
    );
    const classifier = await openServedModel(path, { preset: entry.preset, outputKind: entry.outputKind, backend });
    const samples = await sampleSet();
    assert.equal(samples.length, 1000);
    let hits1 = 0;
    let hits5 = 0;
    // Two images in flight: one preprocessing while the other runs.
    for (let i = 0; i < samples.length; i += 2) {
      const batch = samples.slice(i, i + 2);
      const results = await Promise.all(batch.map(async (s) => classifier.classifyImage(await readFile(s.file), 5)));
      results.forEach((top, j) => {
        const truth = batch[j]!.classIndex;
        if (top[0]!.index === truth) hits1++;
        if (top.some((e) => e.index === truth)) hits5++;
      });
    }
    const accuracy1 = hits1 / 10;
    t.diagnostic(
      `${id}: top-1 ${accuracy1.toFixed(1)} %, top-5 ${(hits5 / 10).toFixed(1)} % (README: top-1 ${top1} %)`,
    );
    assert.ok(Math.abs(accuracy1 - top1) <= 1, `top-1 ${accuracy1} % is not within 1 point of ${top1} %`);
  });
}
