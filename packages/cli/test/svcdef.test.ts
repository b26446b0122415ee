import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTachyon, sampleImage } from './support/cli-runner.js';

const TENCH = sampleImage('n01440764_tench.JPEG');
const tachyon = (args: string[], cwd: string) => runTachyon(args, cwd, { mirrors: true });

test('svcdef create -> inspect -> validate -> run, and a damaged zip is refused with its code', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-svcdef-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const created = tachyon(['svcdef', 'create', '-o', 'model_def.zip', '--featurizer', 'squeezenet1.1', '--top', '3', '--json'], dir);
  assert.equal(created.code, 0, created.stderr);
  const { manifest, sha256 } = JSON.parse(created.stdout);
  assert.deepEqual(manifest.stages.map((s: { kind: string }) => s.kind), ['image', 'featurizer', 'onnx', 'classifier']);

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
