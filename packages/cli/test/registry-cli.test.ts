import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateWorkspaceConfig, openRegistry } from '@tachyon-serve/core';
import { CLI_BIN, sharedDir, tempDir } from '@tachyon-serve/test-support';

const BIN = CLI_BIN;
const SHARED = sharedDir();
const SQUEEZENET = join(SHARED, 'models', 'squeezenet1.1-fp32.onnx');
const MOBILENET_INT8 = join(SHARED, 'models', 'mobilenetv2-int8-qdq.onnx');

function tachyon(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TACHYON_CACHE_DIR: join(cwd, 'cache') };
  delete env['TACHYON_MODEL_PATH'];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and expects success with one JSON document on stdout (nothing else there). */
function json(args: string[], cwd: string): any {
  const r = tachyon([...args, '--json'], cwd);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function fails(args: string[], cwd: string, code: string): string {
  const r = tachyon(args, cwd);
  assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout} ${r.stderr}`);
  // Off a TTY, progress lines (`file: 40% ...`) may come first on stderr; the error is the first other line.
  assert.match(
    r.stderr
      .split('\n')
      .filter((l) => !/: \d+% [\d.]+\/[\d.]+ MB$/.test(l))
      .join('\n'),
    new RegExp(`^error ${code}: `),
    r.stderr,
  );
  assert.equal(r.stdout, '');
  return r.stderr;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('workspace create / show / show --admin-key; a second create is refused', (t) => {
  const dir = tempDir(t, 'tachyon-registry-cli-');
  const created = json(['workspace', 'create', 'ws', '--name', 'demo'], dir);
  assert.deepEqual(
    [created.name, created.root, created.registry],
    ['demo', join(dir, 'ws'), join(dir, 'ws', 'registry.db')],
  );
  const keyFile = join(dir, 'ws', '.tachyon', 'admin.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);

  const shown = json(['--workspace', 'ws', 'workspace', 'show'], dir);
  assert.equal(shown.name, 'demo');
  assert.equal(shown.adminKey, undefined, 'the key is shown only when asked for');
  const key = readFileSync(keyFile, 'utf8').trim();
  assert.equal(json(['--workspace', 'ws', 'workspace', 'show', '--admin-key'], dir).adminKey, key);
  const plain = tachyon(['--workspace', 'ws', 'workspace', 'show', '--admin-key'], dir);
  assert.equal(plain.stdout, `${key}\n`);
  const human = tachyon(['workspace', 'show'], join(dir, 'ws'));
  assert.equal(human.code, 0, human.stderr);
  assert.ok(!human.stdout.includes(key) && !readFileSync(join(dir, 'ws', 'tachyon.json'), 'utf8').includes(key));

  fails(['workspace', 'create', 'ws'], dir, 'TCH_ERR_WORKSPACE_EXISTS');
  fails(['workspace', 'show'], dir, 'TCH_ERR_WORKSPACE_NOT_FOUND');
});

test('model register / list / show / download / tag / delete with --json', (t) => {
  const dir = tempDir(t, 'tachyon-registry-cli-');
  json(['workspace', 'create', 'ws'], dir);
  const w = ['--workspace', 'ws'];
  const v1 = json(
    [
      ...w,
      'model',
      'register',
      SQUEEZENET,
      '--name',
      'squeezenet',
      '--description',
      'SqueezeNet 1.1',
      '--tag',
      'stage=dev',
      '--tag',
      'team=cv',
    ],
    dir,
  );
  assert.deepEqual(v1, { name: 'squeezenet', version: 1, sha256: sha256(SQUEEZENET), size: statSync(SQUEEZENET).size });
  const v2 = json([...w, 'model', 'register', MOBILENET_INT8, '--name', 'squeezenet'], dir);
  assert.deepEqual([v2.version, v2.sha256], [2, sha256(MOBILENET_INT8)]);
  json([...w, 'model', 'register', SQUEEZENET, '--name', 'other'], dir);

  const list = json([...w, 'model', 'list'], dir);
  assert.ok(Array.isArray(list));
  assert.deepEqual(
    list.map((r: any) => `${r.name}:${r.version}`),
    ['other:1', 'squeezenet:1', 'squeezenet:2'],
  );
  assert.deepEqual(Object.keys(list[1]).slice(0, 4), ['name', 'version', 'sha256', 'size']);
  assert.equal(list[1].kind, 'onnx');
  assert.deepEqual(
    json([...w, 'model', 'list', '--tag', 'stage=dev'], dir).map((r: any) => r.version),
    [1],
  );

  const shown = json([...w, 'model', 'show', 'squeezenet:1'], dir);
  assert.deepEqual([shown.version, shown.description, shown.tags], [1, 'SqueezeNet 1.1', { stage: 'dev', team: 'cv' }]);
  assert.equal(json([...w, 'model', 'show', 'squeezenet'], dir).version, 2, 'a bare name is the latest');

  const out = join(dir, 'copy.onnx');
  const downloaded = json([...w, 'model', 'download', 'squeezenet:1', '--out', out], dir);
  assert.equal(downloaded.path, out);
  assert.equal(sha256(out), v1.sha256);

  const tagged = json([...w, 'model', 'tag', 'squeezenet:1', 'stage=prod', 'owner=ana', '--remove', 'team'], dir);
  assert.deepEqual(tagged.tags, { owner: 'ana', stage: 'prod' });

  assert.deepEqual(
    json([...w, 'model', 'delete', 'squeezenet:1'], dir).deleted.map((r: any) => r.version),
    [1],
  );
  assert.deepEqual(
    json([...w, 'model', 'delete', 'squeezenet'], dir).deleted.map((r: any) => r.version),
    [2],
    'a bare name deletes every version',
  );
  assert.deepEqual(
    json([...w, 'model', 'list'], dir).map((r: any) => r.name),
    ['other'],
  );
  assert.equal(
    json([...w, 'model', 'register', SQUEEZENET, '--name', 'squeezenet'], dir).version,
    3,
    'numbers are never reused',
  );
});

test('the workspace is found from the working directory upward; human output', (t) => {
  const dir = tempDir(t, 'tachyon-registry-cli-');
  json(['workspace', 'create', '.', '--name', 'here'], dir);
  const sub = join(dir, 'notebooks');
  mkdirSync(sub);
  const r = tachyon(['model', 'register', SQUEEZENET, '--name', 'squeezenet'], sub);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^registered squeezenet:1 \(onnx, 5\.0 MB, sha256 [0-9a-f]{64}\)\n$/);
  const list = tachyon(['model', 'list'], sub);
  assert.match(list.stdout, /^MODEL +KIND +SIZE +CREATED +TAGS\nsqueezenet:1 +onnx /);
});

test('bad input: names, missing files, corrupt artifacts, deleting a deployed model', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-cli-');
  json(['workspace', 'create', 'ws'], dir);
  const w = ['--workspace', 'ws'];
  fails([...w, 'model', 'register', SQUEEZENET, '--name', 'SqueezeNet'], dir, 'TCH_ERR_REGISTRY_NAME_INVALID');
  fails([...w, 'model', 'register', join(dir, 'missing.onnx'), '--name', 'm'], dir, 'TCH_ERR_IO_NOT_FOUND');
  writeFileSync(join(dir, 'broken.zip'), Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100, 1)]));
  fails([...w, 'model', 'register', join(dir, 'broken.zip'), '--name', 'm'], dir, 'TCH_ERR_REGISTRY_ARTIFACT_INVALID');
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  fails([...w, 'model', 'register', join(dir, 'notes.txt'), '--name', 'm'], dir, 'TCH_ERR_REGISTRY_ARTIFACT_INVALID');
  fails([...w, 'model', 'show', 'm'], dir, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND');
  fails([...w, 'model', 'show', 'm:zero'], dir, 'TCH_ERR_REGISTRY_NAME_INVALID');
  fails(['--workspace', join(dir, 'nowhere'), 'model', 'list'], dir, 'TCH_ERR_WORKSPACE_NOT_FOUND');
  assert.deepEqual(json([...w, 'model', 'list'], dir), []);

  json([...w, 'model', 'register', SQUEEZENET, '--name', 'm'], dir);
  const registry = await openRegistry(locateWorkspaceConfig(join(dir, 'ws')));
  try {
    await registry.addDeploymentRef({ deployment: 'web', name: 'm', version: 1 });
  } finally {
    await registry.close();
  }
  const refused = fails([...w, 'model', 'delete', 'm:1'], dir, 'TCH_ERR_REGISTRY_IN_USE');
  assert.match(refused, /"web"/);
  assert.deepEqual(
    json([...w, 'model', 'delete', 'm:1', '--force'], dir).deleted.map((r: any) => r.version),
    [1],
  );
});
