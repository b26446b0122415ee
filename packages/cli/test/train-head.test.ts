import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SHARED, runTachyon } from './support/cli-runner.js';

const SAMPLE = join(SHARED, 'images', 'imagenet-sample');
const CLASSES = {
  fish: ['n01440764_tench.JPEG', 'n01443537_goldfish.JPEG', 'n01484850_great_white_shark.JPEG'],
  dogs: ['n02085620_Chihuahua.JPEG', 'n02085782_Japanese_spaniel.JPEG', 'n02085936_Maltese_dog.JPEG'],
};

const tachyon = (args: string[], cwd: string) => runTachyon(args, cwd, { mirrors: true });

test('train-head writes a service definition with the trained head; a second run reads every feature from the cache', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-train-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [label, files] of Object.entries(CLASSES)) {
    mkdirSync(join(dir, 'photos', label), { recursive: true });
    for (const f of files) copyFileSync(join(SAMPLE, f), join(dir, 'photos', label, f));
  }
  const args = [
    'train-head',
    '--featurizer',
    'mobilenetv2',
    '--images',
    'photos',
    '-o',
    'fishdog.zip',
    '--epochs',
    '5',
    '--validation-split',
    '0.34',
    '--seed',
    '1',
    '--json',
  ];
  const first = tachyon(args, dir);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.deepEqual(summary.labels, ['dogs', 'fish']);
  assert.equal(summary.trainSize + summary.validationSize, 6);
  assert.equal(summary.features.computed, 6);
  assert.match(first.stderr, /epoch 5\/5/);

  const second = tachyon(args, dir);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(JSON.parse(second.stdout).features, { computed: 0, cached: 6 });

  const inspect = tachyon(['svcdef', 'inspect', '--json', 'fishdog.zip'], dir);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.deepEqual(
    JSON.parse(inspect.stdout).manifest.stages.map((s: { kind: string }) => s.kind),
    ['image', 'featurizer', 'keras', 'classifier'],
  );
  const run = tachyon(['svcdef', 'run', '--json', 'fishdog.zip', join(SAMPLE, 'n01443537_goldfish.JPEG')], dir);
  assert.equal(run.code, 0, run.stderr);
  const top = JSON.parse(run.stdout).top;
  assert.equal(top.length, 2);
  assert.ok(Math.abs(top[0].score + top[1].score - 1) < 1e-5);
});
