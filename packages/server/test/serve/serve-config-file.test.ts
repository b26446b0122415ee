import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError, type TachyonError } from '@tachyon-serve/protocol';
import { loadServeConfigFile, validateServeConfig, type ServeConfigIssue } from '../../src/serve/serve-config-file.js';
import { tempDir } from '@tachyon-serve/test-support';

function writeConfig(dir: string, content: unknown, name = 'serve.json'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

/** Runs fn, expects a TachyonError with `code`, returns it. */
function catchCode(fn: () => unknown, code: string): TachyonError {
  try {
    fn();
  } catch (error) {
    assert.ok(isTachyonError(error), `expected a TachyonError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

test("relative paths resolve against the file's folder; zoo ids, registry names and absolute paths stay", (t) => {
  const dir = tempDir(t, 'tachyon-serve-config-');
  mkdirSync(join(dir, 'conf'));
  const file = writeConfig(join(dir, 'conf'), {
    $schema: '../docs/serve-config.schema.json',
    models: [
      { name: 'a', source: 'models/a.onnx' },
      { name: 'b', source: '../defs/b.zip' },
      { name: 'c', source: 'mobilenetv2-int8' },
      { name: 'd', source: 'registry:flowers', versionPolicy: { latest: 2 } },
      { name: 'e', source: { kind: 'model', ref: 'e.onnx', preset: 'caffe227', outputKind: 'logits' } },
      { name: 'f', source: { kind: 'service-definition', path: '/abs/f.zip' } },
      { name: 'g', source: '/abs/g.onnx', scheduler: { maxBatchSize: 2 } },
    ],
    keysFile: 'keys.json',
    tls: { certFile: 'tls/cert.pem', keyFile: '/etc/key.pem' },
    workspace: '..',
    modelPath: ['mirror', '/mnt/models'],
    httpPort: 9000,
  });
  const options = loadServeConfigFile(file);
  const conf = join(dir, 'conf');
  assert.deepEqual(options, {
    models: [
      { name: 'a', source: join(conf, 'models', 'a.onnx') },
      { name: 'b', source: join(dir, 'defs', 'b.zip') },
      { name: 'c', source: 'mobilenetv2-int8' },
      { name: 'd', source: 'registry:flowers', versionPolicy: { latest: 2 } },
      { name: 'e', source: { kind: 'model', ref: join(conf, 'e.onnx'), preset: 'caffe227', outputKind: 'logits' } },
      { name: 'f', source: { kind: 'service-definition', path: '/abs/f.zip' } },
      { name: 'g', source: '/abs/g.onnx', scheduler: { maxBatchSize: 2 } },
    ],
    keysFile: join(conf, 'keys.json'),
    tls: { certFile: join(conf, 'tls', 'cert.pem'), keyFile: '/etc/key.pem' },
    workspace: dir,
    modelPath: [join(conf, 'mirror'), '/mnt/models'],
    httpPort: 9000,
  });
  assert.ok(Object.isFrozen(options) && Object.isFrozen(options.models) && Object.isFrozen(options.models![0]));
});

test('every schema issue comes at once in one TCH_ERR_CONFIG_FILE_INVALID, each with its JSON pointer', (t) => {
  const file = writeConfig(tempDir(t, 'tachyon-serve-config-'), {
    models: [{ name: 'bad name', source: 'x' }, { source: 'y' }],
    httpPort: 70000,
    workers: '2',
    noAuth: 'yes',
    tls: { certFile: 'c.pem' },
    scheduler: { maxBatchSize: 0 },
    logLevel: 'verbose',
  });
  const error = catchCode(() => loadServeConfigFile(file), 'TCH_ERR_CONFIG_FILE_INVALID');
  const issues = (error.details as { issues: ServeConfigIssue[]; file: string }).issues;
  assert.deepEqual(issues.map((i) => i.pointer).sort(), [
    '/httpPort',
    '/logLevel',
    '/models/0/name',
    '/models/1/name',
    '/noAuth',
    '/scheduler/maxBatchSize',
    '/tls/keyFile',
    '/workers',
  ]);
  assert.equal(issues.find((i) => i.pointer === '/models/1/name')!.message, 'is required');
  assert.equal(issues.find((i) => i.pointer === '/workers')!.message, 'must be an integer');
  assert.match(issues.find((i) => i.pointer === '/logLevel')!.message, /"info"/);
  assert.equal((error.details as { file: string }).file, file);
  assert.match(error.message, new RegExp(`^Config file "${file}" has 8 issues: `));
  assert.equal(error.kind, 'INVALID_ARG');
});

test('unknown keys are errors, at any depth, with the likely intended key', (t) => {
  const file = writeConfig(tempDir(t, 'tachyon-serve-config-'), {
    htppPort: 1,
    scheduler: { maxbatchsize: 2 },
    models: [{ name: 'a', source: 'b', schedular: {} }],
    colour: 'red',
  });
  const issues = (
    catchCode(() => loadServeConfigFile(file), 'TCH_ERR_CONFIG_FILE_INVALID').details as { issues: ServeConfigIssue[] }
  ).issues;
  const byPointer = (a: ServeConfigIssue, b: ServeConfigIssue) => a.pointer.localeCompare(b.pointer);
  assert.deepEqual([...issues].sort(byPointer), [
    { pointer: '/colour', message: 'is not a known option' },
    { pointer: '/htppPort', message: 'is not a known option (did you mean "httpPort"?)' },
    { pointer: '/models/0/schedular', message: 'is not a known option (did you mean "scheduler"?)' },
    { pointer: '/scheduler/maxbatchsize', message: 'is not a known option (did you mean "maxBatchSize"?)' },
  ]);
});

test('a document that is not an object is one issue at the top level', () => {
  for (const doc of [[], 'serve', 3, null]) {
    const error = catchCode(
      () => validateServeConfig(doc, { baseDir: '/', subject: 'The document' }),
      'TCH_ERR_CONFIG_FILE_INVALID',
    );
    assert.deepEqual((error.details as { issues: unknown }).issues, [{ pointer: '', message: 'must be an object' }]);
  }
});

test('validateServeConfig: another code and a pointer prefix (the "server" section of tachyon.json)', () => {
  const error = catchCode(
    () =>
      validateServeConfig(
        { workers: 0 },
        {
          baseDir: '/',
          subject: 'tachyon.json section "server"',
          code: 'TCH_ERR_CONFIG_INVALID',
          pointerPrefix: '/server',
        },
      ),
    'TCH_ERR_CONFIG_INVALID',
  );
  assert.deepEqual((error.details as { issues: unknown }).issues, [
    { pointer: '/server/workers', message: 'must be >= 1' },
  ]);
  assert.deepEqual(validateServeConfig({ keysFile: 'k.json' }, { baseDir: '/srv', subject: 'x' }), {
    keysFile: '/srv/k.json',
  });
});

test('not JSON: the error gives the file, line and column, and none of its content', (t) => {
  const file = writeConfig(
    tempDir(t, 'tachyon-serve-config-'),
    '{\n  "host": "127.0.0.1",\n  "keysFile": s3cr3t-token\n}\n',
  );
  const error = catchCode(() => loadServeConfigFile(file), 'TCH_ERR_CONFIG_FILE_INVALID');
  assert.match(error.message, new RegExp(`^Config file "${file}" is not valid JSON at line 3, column 15\\.$`));
  assert.doesNotMatch(error.message, /s3cr3t/);
  assert.equal((error.details as { line: number }).line, 3);
  const cut = writeConfig(tempDir(t, 'tachyon-serve-config-'), '{"host": "127.0.0.1"');
  assert.match(catchCode(() => loadServeConfigFile(cut), 'TCH_ERR_CONFIG_FILE_INVALID').message, /is not valid JSON/);
});

test('a missing file or a folder: TCH_ERR_IO_NOT_FOUND naming the path; an empty path is misuse', (t) => {
  const dir = tempDir(t, 'tachyon-serve-config-');
  const missing = join(dir, 'nope.json');
  assert.match(
    catchCode(() => loadServeConfigFile(missing), 'TCH_ERR_IO_NOT_FOUND').message,
    new RegExp(`"${missing}" does not exist`),
  );
  assert.match(catchCode(() => loadServeConfigFile(dir), 'TCH_ERR_IO_NOT_FOUND').message, /is a folder/);
  assert.throws(() => loadServeConfigFile(''), TypeError);
});
