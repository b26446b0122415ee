import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, SHARED_MODELS, runTachyon, sampleImage } from './support/cli-runner.js';
import { tempDir } from '@tachyon-serve/test-support';

const MODELS = SHARED_MODELS;
const image = sampleImage;
const TENCH = image('n01440764_tench.JPEG');
const GOLDFISH = image('n01443537_goldfish.JPEG');

const tachyon = runTachyon;

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);

test('--help is fast: it loads neither onnxruntime nor sharp', (t) => {
  const dir = tempDir(t, 'tachyon-cli-');
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import(${JSON.stringify(join(REPO_ROOT, 'packages/cli/dist/src/main.js'))});
    const code = await main(['node', 'tachyon', '--help']);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stderr.write(JSON.stringify({ code, heavy: loaded.filter((p) => /onnxruntime|sharp/.test(p)) }));`;
  writeFileSync(join(dir, 'probe.mjs'), script);
  const r = spawnSync(process.execPath, [join(dir, 'probe.mjs')], { encoding: 'utf8' });
  assert.match(r.stdout, /Usage: tachyon/);
  assert.match(r.stdout, /classify/);
  const probe = JSON.parse(r.stderr.slice(r.stderr.lastIndexOf('{"code"')));
  assert.deepEqual(probe, { code: 0, heavy: [] });
});

test('classify --json prints one JSON object per image with probabilities, top-5 by default', (t) => {
  const r = tachyon(
    ['--model-path', MODELS, 'classify', '--json', '-m', 'mobilenetv2-int8', TENCH, GOLDFISH],
    tempDir(t, 'tachyon-cli-'),
  );
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.deepEqual(
    lines.map((l) => l['file']),
    [TENCH, GOLDFISH],
  );
  assert.deepEqual(
    lines.map((l) => l['top'][0].label),
    ['tench', 'goldfish'],
  );
  for (const line of lines) {
    assert.equal(line['top'].length, 5);
    const scores = line['top'].map((e: { score: number }) => e.score);
    assert.ok(scores.every((s: number, i: number) => s > 0 && s <= 1 && (i === 0 || s <= scores[i - 1])));
    assert.ok(scores.reduce((a: number, b: number) => a + b, 0) <= 1 + 1e-6);
  }
});

test('classify: the human output names the labels; --top changes the count', (t) => {
  const r = tachyon(
    ['--model-path', MODELS, 'classify', '--top', '2', '-m', 'mobilenetv2-fp32', GOLDFISH],
    tempDir(t, 'tachyon-cli-'),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^n01443537_goldfish\.JPEG\n {2}1\. goldfish +\d+\.\d\d%/);
  assert.equal(r.stdout.trim().split('\n').length, 3);
});

test('classify: a bad image is reported with its code, the others still run, exit code 1', (t) => {
  const dir = tempDir(t, 'tachyon-cli-');
  const truncated = join(dir, 'truncated.jpg');
  writeFileSync(truncated, readFileSync(TENCH).subarray(0, 2000));
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not an image');
  const r = tachyon(
    ['--model-path', MODELS, 'classify', '--json', '-m', 'mobilenetv2-int8', truncated, TENCH, text],
    dir,
  );
  assert.equal(r.code, 1);
  const lines = jsonLines(r.stdout);
  assert.equal(lines[0]!['error'].code, 'TCH_ERR_IMAGE_CORRUPT');
  assert.equal(lines[1]!['top'][0].label, 'tench');
  assert.equal(lines[2]!['error'].code, 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT');
});

test('classify an .onnx file with a preset: softmax output is detected as probabilities', (t) => {
  const r = tachyon(
    ['classify', '--json', '-m', join(MODELS, 'squeezenet1.1-fp32.onnx'), '--preset', 'caffe227', GOLDFISH],
    tempDir(t, 'tachyon-cli-'),
  );
  assert.equal(r.code, 0, r.stderr);
  const [line] = jsonLines(r.stdout);
  assert.equal(line!['top'][0].label, 'goldfish');
});

test('the workspace tachyon.json supplies mirrors and the default model', (t) => {
  const dir = tempDir(t, 'tachyon-cli-');
  writeFileSync(join(dir, 'tachyon.json'), JSON.stringify({ modelPath: [MODELS], defaultModel: 'squeezenet1.1-fp32' }));
  const r = tachyon(['classify', '--json', TENCH], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0]!['top'][0].label, 'tench');
});

test('zoo pull copies a mirror model into the cache; zoo list then shows it cached', (t) => {
  const dir = tempDir(t, 'tachyon-cli-');
  const r = tachyon(['--model-path', MODELS, 'zoo', 'pull', '--json', 'mobilenetv2-int8'], dir);
  assert.equal(r.code, 0, r.stderr);
  const pulled = JSON.parse(r.stdout);
  assert.equal(pulled.source, 'mirror');
  assert.ok(existsSync(pulled.path) && pulled.path.startsWith(join(dir, 'cache')));
  const list = jsonLines(tachyon(['zoo', 'list', '--json'], dir).stdout);
  assert.equal(list.find((e) => e['id'] === 'mobilenetv2-int8')!['cached'], true);
  assert.ok(list.some((e) => e['id'] === 'resnet50-int8'));
});

test('errors: unknown model and an offline pull exit 1 with the code on stderr and nothing on stdout', (t) => {
  const dir = tempDir(t, 'tachyon-cli-');
  const unknown = tachyon(['classify', '-m', 'nope-int8', TENCH], dir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error TCH_ERR_ZOO_UNKNOWN_MODEL: /);
  assert.equal(unknown.stdout, '');
  const offline = tachyon(['--offline', 'zoo', 'pull', 'resnet50-int8'], dir);
  assert.equal(offline.code, 1);
  assert.match(offline.stderr, /^error TCH_ERR_ZOO_FETCH_FAILED: .*cache.*mirror.*downloads are disabled/);
  const usage = tachyon(['classify'], dir);
  assert.equal(usage.code, 2, 'a usage error exits 2');
  assert.match(usage.stderr, /missing required argument/);
});

test('classify a bare .onnx file with no flags: preset from its 227 px input, probabilities from its Softmax', (t) => {
  const r = tachyon(
    ['classify', '--json', '-m', join(MODELS, 'squeezenet1.1-fp32.onnx'), GOLDFISH],
    tempDir(t, 'tachyon-cli-'),
  );
  assert.equal(r.code, 0, r.stderr);
  const [line] = jsonLines(r.stdout);
  assert.equal(line!['top'][0].label, 'goldfish');
  assert.ok(line!['top'][0].score > 0.5, `top-1 ${line!['top'][0].score}: a double softmax would give ~0.001`);
});

test('classify with 400 image paths (about 30 KB of arguments) answers every one of them in order', (t) => {
  const labels = readFileSync(join(SHARED_MODELS, '..', 'images', 'imagenet-sample', 'labels.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, 401);
  const files = labels.map((line) => image(line.split('\t')[0]!));
  assert.ok(files.join(' ').length > 25_000);
  const r = tachyon(
    ['classify', '--json', '-m', 'mobilenetv2-int8', '--top', '1', ...files],
    tempDir(t, 'tachyon-cli-'),
    { mirrors: true },
  );
  assert.equal(r.code, 0, r.stderr.slice(0, 2000));
  const lines = jsonLines(r.stdout);
  assert.deepEqual(
    lines.map((l) => l['file']),
    files,
  );
  // MobileNetV2 int8 gets about 84 % of the sample set right: most of these must match their labels.
  const right = lines.filter((l, i) => String(l['top'][0].index) === labels[i]!.split('\t')[1]).length;
  assert.ok(right > 300, `${right} of 400 right`);
});
