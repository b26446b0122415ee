// `tachyon serve --print-config`: the layers (flag > env > --config > tachyon.json > default) end to end, without a model.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadServeConfigFile } from '@tachyon-serve/server';
import { BIN } from './support/cli-runner.js';
import { tempDir } from '@tachyon-serve/test-support';

/** Runs `tachyon serve ARGS` in `cwd` with `env` added to a caller environment cleared of TACHYON_*. */
function serve(args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TACHYON_')));
  const r = spawnSync(process.execPath, [BIN, 'serve', ...args], {
    cwd,
    env: { ...base, TACHYON_CACHE_DIR: join(cwd, 'cache'), ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Printed {
  config: Record<string, any>;
  sources: Record<string, string>;
  files: { config: string | null; workspace: string | null };
}

function printConfig(args: readonly string[], cwd: string, env: Record<string, string> = {}): Printed {
  const r = serve([...args, '--print-config'], cwd, env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON line on stdout');
  return JSON.parse(r.stdout) as Printed;
}

function writeJson(file: string, value: unknown): string {
  writeFileSync(file, JSON.stringify(value));
  return file;
}

test('--print-config: every option from the highest layer that sets it, and which layer that was', (t) => {
  const dir = tempDir(t, 'tachyon-serve-cli-');
  writeJson(join(dir, 'tachyon.json'), {
    defaultModel: 'mobilenetv2-int8',
    modelPath: ['mirror'],
    server: { host: '127.0.0.4', maxImages: 4, drainTimeoutMs: 5, scheduler: { batching: true, maxQueueSize: 9 } },
  });
  mkdirSync(join(dir, 'conf'));
  const configFile = writeJson(join(dir, 'conf', 'serve.json'), {
    models: [{ name: 'mine', source: 'model.onnx' }],
    host: '127.0.0.3',
    workers: 3,
    keysFile: 'keys.json',
    scheduler: { maxQueueDelayMs: 30, maxBatchSize: 32 },
  });
  const printed = printConfig(
    [
      '--config',
      'conf/serve.json',
      '--http-port',
      '1001',
      '--max-batch-size',
      '4',
      '--no-metrics',
      '--log-level',
      'warn',
    ],
    dir,
    {
      TACHYON_SERVE_WORKERS: '2',
      TACHYON_SERVE_HTTP_PORT: '2001',
      TACHYON_SERVE_MAX_QUEUE_DELAY_MS: '3',
    },
  );
  const expected: Record<string, [unknown, string]> = {
    httpPort: [1001, 'flag'],
    logLevel: ['warn', 'flag'],
    'scheduler.maxBatchSize': [4, 'flag'],
    'metrics.enabled': [false, 'flag'],
    workers: [2, 'env'],
    'scheduler.maxQueueDelayMs': [3, 'env'],
    host: ['127.0.0.3', 'file'],
    keysFile: [join(dir, 'conf', 'keys.json'), 'file'],
    models: [[{ name: 'mine', source: join(dir, 'conf', 'model.onnx') }], 'file'],
    maxImages: [4, 'workspace'],
    drainTimeoutMs: [5, 'workspace'],
    'scheduler.maxQueueSize': [9, 'workspace'],
    modelPath: [[join(dir, 'mirror')], 'workspace'],
    grpcPort: [8001, 'default'],
    bodyLimit: [20971520, 'default'],
    'tracing.sampleRatio': [1, 'default'],
  };
  for (const [key, [value, layer]] of Object.entries(expected)) {
    const [group, field] = key.split('.') as [string, string | undefined];
    assert.deepEqual(field === undefined ? printed.config[group] : printed.config[group][field], value, key);
    assert.equal(printed.sources[key], layer, key);
  }
  assert.deepEqual(printed.files, { config: configFile, workspace: join(dir, 'tachyon.json') });
  assert.equal(printed.config['workspace'], undefined, 'no registry model: the workspace found upward is not opened');
  // The printed config is itself a valid config file.
  const again = loadServeConfigFile(writeJson(join(dir, 'printed.json'), printed.config));
  assert.deepEqual(JSON.parse(JSON.stringify(again)), printed.config);
});

test("without --config: existing flags, TACHYON_SERVE_CONFIG, and tachyon.json's defaultModel with --name", (t) => {
  const dir = tempDir(t, 'tachyon-serve-cli-');
  writeJson(join(dir, 'tachyon.json'), { defaultModel: 'squeezenet1.1-fp32' });
  const named = printConfig(
    ['--name', 'sq', '--no-auth', '--cors', 'https://a.example', '--cors', 'https://b.example', '--no-batching'],
    dir,
  );
  assert.deepEqual(named.config['models'], [{ name: 'sq', source: 'squeezenet1.1-fp32' }]);
  assert.equal(named.sources['models'], 'workspace');
  assert.equal(named.config['noAuth'], true);
  assert.deepEqual(named.config['cors'], ['https://a.example', 'https://b.example']);
  assert.equal(named.config['scheduler'].batching, false);
  assert.equal(named.sources['scheduler.batching'], 'flag');
  assert.equal(named.files.config, null);

  const viaEnv = writeJson(join(dir, 'env.json'), {
    models: [{ name: 'e', source: 'mobilenetv2-int8' }],
    httpPort: 7000,
  });
  const fromEnv = printConfig(['--model', 'a=mobilenetv2-int8', '--model', 'b=x.zip'], dir, {
    TACHYON_SERVE_CONFIG: 'env.json',
  });
  assert.equal(fromEnv.files.config, viaEnv);
  assert.equal(fromEnv.config['httpPort'], 7000);
  assert.deepEqual(fromEnv.config['models'], [
    { name: 'a', source: 'mobilenetv2-int8' },
    { name: 'b', source: join(dir, 'x.zip') },
  ]);
  assert.equal(fromEnv.sources['models'], 'flag');

  const registry = printConfig(['--model', 'r=registry:flowers'], dir);
  assert.equal(registry.config['workspace'], dir);
  assert.equal(registry.sources['workspace'], 'workspace');

  const r = serve(['--name', 'x', '--print-config'], dir, { TACHYON_SERVE_CONFIG: 'env.json' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: --name names a single --model/);
});

test('a bad config file, a bad variable, a bad tachyon.json "server": exit 1 with every issue, nothing on stdout', (t) => {
  const dir = tempDir(t, 'tachyon-serve-cli-');
  writeJson(join(dir, 'bad.json'), { htppPort: 1, workers: 0, models: [{ name: 'a' }] });
  const file = serve(['--config', 'bad.json', '--print-config'], dir);
  assert.equal(file.code, 1);
  assert.equal(file.stdout, '');
  assert.match(file.stderr, /^error TCH_ERR_CONFIG_FILE_INVALID: Config file ".*bad\.json" has 3 issues: /);
  for (const part of [
    '/htppPort: is not a known option (did you mean "httpPort"?)',
    '/workers: must be >= 1',
    '/models/0/source: is required',
  ])
    assert.ok(file.stderr.includes(part), part);

  const env = serve(['--print-config'], dir, { TACHYON_SERVE_HTTP_PORT: 'http', TACHYON_SERVE_LOG_LEVEL: 'loud' });
  assert.equal(env.code, 1);
  assert.match(
    env.stderr,
    /^error TCH_ERR_CONFIG_INVALID: The environment has 2 invalid variables: .*TACHYON_SERVE_HTTP_PORT must be an integer/,
  );
  assert.match(env.stderr, /TACHYON_SERVE_LOG_LEVEL must be one of/);

  writeJson(join(dir, 'tachyon.json'), { server: { workers: 'two' } });
  const ws = serve(['--print-config'], dir);
  assert.equal(ws.code, 1);
  assert.match(
    ws.stderr,
    /^error TCH_ERR_CONFIG_INVALID: Workspace config ".*tachyon\.json" section "server" has 1 issue: \/server\/workers: must be an integer\./,
  );
});

test('an error compileServeOptions finds says which layer set the option', (t) => {
  const dir = tempDir(t, 'tachyon-serve-cli-');
  writeJson(join(dir, 'serve.json'), { httpPort: 9000, keysFile: 'keys.json' });
  const ports = serve(['--config', 'serve.json', '--grpc-port', '9000', '--print-config'], dir);
  assert.equal(ports.code, 1);
  assert.match(ports.stderr, /^error: grpcPort: must differ from httpPort \(9000\) \(set by a command-line flag\)\./);
  const auth = serve(['--config', 'serve.json', '--print-config'], dir, { TACHYON_SERVE_NO_AUTH: 'true' });
  assert.match(
    auth.stderr,
    /^error: noAuth: cannot be combined with keysFile \(set by a TACHYON_SERVE_\* environment variable\)\./,
  );
  const flag = serve(['--max-queue-delay-ms', 'soon', '--print-config'], dir);
  assert.match(flag.stderr, /^error: --max-queue-delay-ms: expected a number >= 0, got "soon"\./);
});
