import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTachyon, sampleImage } from './support/cli-runner.js';

const TENCH = sampleImage('n01440764_tench.JPEG');
const tachyon = (args: string[], cwd: string) => runTachyon(args, cwd, { mirrors: true });

test('svcdef create -> inspect -> validate -> run, and a damaged zip is refused with its code', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-svcdef-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const created = tachyon(
    ['svcdef', 'create', '-o', 'model_def.zip', '--featurizer', 'squeezenet1.1', '--top', '3', '--json'],
    dir,
  );
  assert.equal(created.code, 0, created.stderr);
  const { manifest, sha256 } = JSON.parse(created.stdout);
  assert.deepEqual(
    manifest.stages.map((s: { kind: string }) => s.kind),
    ['image', 'featurizer', 'onnx', 'classifier'],
  );

  const inspect = tachyon(['svcdef', 'inspect', 'model_def.zip'], dir);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /featurizer \[featurizer\].*cut at "fire9\/concat_drop9"/);
  assert.ok(inspect.stdout.includes(sha256));
  for (const f of manifest.files) assert.ok(inspect.stdout.includes(f.sha256), f.path);

  assert.equal(tachyon(['svcdef', 'validate', 'model_def.zip'], dir).code, 0);

  const run = tachyon(['svcdef', 'run', '--json', 'model_def.zip', TENCH], dir);
  assert.equal(run.code, 0, run.stderr);
  const line = JSON.parse(run.stdout);
  assert.equal(line.top.length, 3);
  assert.equal(line.top[0].label, 'tench');

  // Flip one byte inside a stored model: the manifest's sha256 no longer matches.
  const zip = readFileSync(join(dir, 'model_def.zip'));
  const damaged = Buffer.from(zip);
  damaged[Math.floor(zip.length / 2)] = damaged[Math.floor(zip.length / 2)]! ^ 0xff;
  writeFileSync(join(dir, 'damaged.zip'), damaged);
  const bad = tachyon(['svcdef', 'validate', 'damaged.zip'], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error TCH_ERR_SVCDEF_[A-Z_]+: /);
});

test('svcdef create --quantize-calibration: an int8 featurizer recorded in the manifest, shown by inspect, and it runs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-svcdef-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calibration = join(dir, 'calibration');
  mkdirSync(calibration);
  for (const f of [
    'n01530575_brambling.JPEG',
    'n02099601_golden_retriever.JPEG',
    'n03792782_mountain_bike.JPEG',
    'n02123045_tabby.JPEG',
    'n07747607_orange.JPEG',
  ]) {
    copyFileSync(sampleImage(f), join(calibration, f));
  }
  const args = [
    'svcdef',
    'create',
    '-o',
    'q.zip',
    '--featurizer',
    'mobilenetv2',
    '--quantize-calibration',
    calibration,
  ];
  const created = tachyon([...args, '--quantize-method', 'percentile', '--quantize-samples', '4', '--json'], dir);
  assert.equal(created.code, 0, created.stderr);
  const { manifest } = JSON.parse(created.stdout);
  assert.deepEqual(manifest.stages[1].quantization, {
    tool: 'tachyon',
    method: 'percentile',
    samples: 4,
    perChannel: true,
    activationType: 'uint8',
    percentile: 99.999,
  });
  assert.equal(manifest.stages[1].model, 'mobilenetv2-fp32');

  const inspect = tachyon(['svcdef', 'inspect', 'q.zip'], dir);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(
    inspect.stdout,
    /model mobilenetv2-fp32 cut at "flatten_301"; int8 by tachyon \(percentile, 4 calibration images, weights per channel\)/,
  );

  const run = tachyon(['svcdef', 'run', '--json', 'q.zip', TENCH], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).top[0].label, 'tench');

  const int8 = tachyon([...args, '--dtype', 'int8'], dir);
  assert.equal(int8.code, 1);
  assert.match(int8.stderr, /--quantize-calibration: needs --dtype fp32/);
  const lone = tachyon(
    ['svcdef', 'create', '-o', 'x.zip', '--featurizer', 'mobilenetv2', '--quantize-method', 'entropy'],
    dir,
  );
  assert.equal(lone.code, 1);
  assert.match(lone.stderr, /--quantize-method and --quantize-samples: they need --quantize-calibration DIR/);
  mkdirSync(join(dir, 'empty'));
  const empty = tachyon(
    ['svcdef', 'create', '-o', 'x.zip', '--featurizer', 'mobilenetv2', '--quantize-calibration', join(dir, 'empty')],
    dir,
  );
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^error TCH_ERR_QUANTIZE_CALIBRATION_EMPTY: /m);
});
