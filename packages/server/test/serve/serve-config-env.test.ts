import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  SERVE_CONFIG_ENV_VAR,
  SERVE_ENV_VARS,
  readServeEnvironment,
  type ServeEnvIssue,
} from '../../src/serve/serve-config-env.js';
import { SERVE_CONFIG_SCHEMA } from '../../src/serve/serve-config-schema.js';
import { REPO_ROOT } from '@tachyon-serve/test-support';

const CWD = '/srv/tachyon';

function issuesOf(env: NodeJS.ProcessEnv): ServeEnvIssue[] {
  try {
    readServeEnvironment(env, CWD);
  } catch (error) {
    assert.ok(isTachyonError(error) && error.code === 'TCH_ERR_CONFIG_INVALID', String(error));
    return (error.details as { issues: ServeEnvIssue[] }).issues;
  }
  assert.fail('expected TCH_ERR_CONFIG_INVALID');
}

test('every variable of the table sets its option, parsed; paths resolve against the working directory', () => {
  const env: NodeJS.ProcessEnv = {
    TACHYON_SERVE_HOST: '0.0.0.0',
    TACHYON_SERVE_HTTP_PORT: '9000',
    TACHYON_SERVE_GRPC_PORT: ' 9001 ',
    TACHYON_SERVE_KEYS_FILE: 'keys.json',
    TACHYON_SERVE_TLS_CERT_FILE: '/etc/cert.pem',
    TACHYON_SERVE_TLS_KEY_FILE: 'tls/key.pem',
    TACHYON_SERVE_NO_AUTH: 'false',
    TACHYON_SERVE_INSECURE: 'YES',
    TACHYON_SERVE_WORKERS: '4',
    TACHYON_SERVE_MAX_IMAGES: '8',
    TACHYON_SERVE_BODY_LIMIT: '4096',
    TACHYON_SERVE_CORS: 'https://a.example, https://b.example,',
    TACHYON_SERVE_MAX_CONNECTIONS: '10',
    TACHYON_SERVE_DRAIN_TIMEOUT_MS: '0',
    TACHYON_SERVE_BATCHING: 'off',
    TACHYON_SERVE_MAX_BATCH_SIZE: '16',
    TACHYON_SERVE_MAX_QUEUE_DELAY_MS: '2.5',
    TACHYON_SERVE_MAX_QUEUE_SIZE: '0',
    TACHYON_SERVE_CONCURRENCY: '2',
    TACHYON_SERVE_METRICS: '0',
    TACHYON_SERVE_OTLP_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
    TACHYON_SERVE_TRACING_SERVICE_NAME: 'edge',
    TACHYON_SERVE_TRACING_SAMPLE_RATIO: '0.25',
    TACHYON_SERVE_MODEL_CONTROL: 'true',
    TACHYON_SERVE_MODEL_LOAD_TIMEOUT_MS: '5000',
    TACHYON_SERVE_MEMORY_BUDGET_BYTES: '1000000',
    TACHYON_SERVE_MAX_LOADED_VERSIONS: '3',
    TACHYON_SERVE_WORKSPACE: '../ws',
    TACHYON_SERVE_LOG_LEVEL: 'debug',
    TACHYON_SERVE_CONFIG: 'conf/serve.json',
    TACHYON_MODEL_PATH: ['mirror', '/mnt/models'].join(delimiter),
    UNRELATED: 'x',
  };
  // The fixture covers the whole table, so a variable added to it without a case here fails.
  assert.deepEqual(
    SERVE_ENV_VARS.map((e) => e.variable).filter((v) => !(v in env)),
    [],
  );
  const { options, configFile } = readServeEnvironment(env, CWD);
  assert.equal(configFile, '/srv/tachyon/conf/serve.json');
  assert.deepEqual(options, {
    host: '0.0.0.0',
    httpPort: 9000,
    grpcPort: 9001,
    keysFile: '/srv/tachyon/keys.json',
    tls: { certFile: '/etc/cert.pem', keyFile: '/srv/tachyon/tls/key.pem' },
    noAuth: false,
    insecure: true,
    workers: 4,
    maxImages: 8,
    bodyLimit: 4096,
    cors: ['https://a.example', 'https://b.example'],
    maxConnections: 10,
    drainTimeoutMs: 0,
    scheduler: { batching: false, maxBatchSize: 16, maxQueueDelayMs: 2.5, maxQueueSize: 0, concurrency: 2 },
    metrics: { enabled: false },
    tracing: { otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'edge', sampleRatio: 0.25 },
    modelControl: { enabled: true, loadTimeoutMs: 5000, memoryBudgetBytes: 1000000, maxLoadedVersions: 3 },
    workspace: '/srv/ws',
    logLevel: 'debug',
    modelPath: ['/srv/tachyon/mirror', '/mnt/models'],
  });
});

test('empty variables count as unset; no variables give an empty layer', () => {
  assert.deepEqual(
    readServeEnvironment({ TACHYON_SERVE_HTTP_PORT: '', TACHYON_MODEL_PATH: '', [SERVE_CONFIG_ENV_VAR]: '' }, CWD),
    { options: {}, configFile: undefined },
  );
  assert.deepEqual(readServeEnvironment({}, CWD), { options: {}, configFile: undefined });
});

test('every bad variable is reported at once, by name, in one TCH_ERR_CONFIG_INVALID', () => {
  const issues = issuesOf({
    TACHYON_SERVE_HTTP_PORT: 'eighty',
    TACHYON_SERVE_GRPC_PORT: '70000',
    TACHYON_SERVE_WORKERS: '1.5',
    TACHYON_SERVE_NO_AUTH: 'maybe',
    TACHYON_SERVE_MAX_QUEUE_DELAY_MS: '-1',
    TACHYON_SERVE_LOG_LEVEL: 'loud',
    TACHYON_SERVE_TLS_CERT_FILE: 'cert.pem',
    TACHYON_SERVE_MAXBATCHSIZE: '4',
    TACHYON_SERVE_OTLP_ENDPOINT: 'localhost:4318',
  });
  const byVariable = Object.fromEntries(issues.map((i) => [i.variable, i.message]));
  assert.deepEqual(Object.keys(byVariable).sort(), [
    'TACHYON_SERVE_GRPC_PORT',
    'TACHYON_SERVE_HTTP_PORT',
    'TACHYON_SERVE_LOG_LEVEL',
    'TACHYON_SERVE_MAXBATCHSIZE',
    'TACHYON_SERVE_MAX_QUEUE_DELAY_MS',
    'TACHYON_SERVE_NO_AUTH',
    'TACHYON_SERVE_OTLP_ENDPOINT',
    'TACHYON_SERVE_TLS_KEY_FILE',
    'TACHYON_SERVE_WORKERS',
  ]);
  assert.equal(byVariable['TACHYON_SERVE_HTTP_PORT'], 'must be an integer, got "eighty"');
  assert.equal(byVariable['TACHYON_SERVE_GRPC_PORT'], 'must be <= 65535, got "70000"');
  assert.equal(
    byVariable['TACHYON_SERVE_MAXBATCHSIZE'],
    'is not a known variable (did you mean TACHYON_SERVE_MAX_BATCH_SIZE?)',
  );
  assert.match(byVariable['TACHYON_SERVE_TLS_KEY_FILE']!, /must be set too/);
  assert.match(byVariable['TACHYON_SERVE_NO_AUTH']!, /true or false/);
});

test('the table names only options the schema has, each once', () => {
  const defs = SERVE_CONFIG_SCHEMA as unknown as {
    properties: Record<string, { properties?: object; $ref?: string }>;
    definitions: Record<string, { properties: object }>;
  };
  const seen = new Set<string>();
  for (const { variable, option } of SERVE_ENV_VARS) {
    assert.match(variable, /^TACHYON_SERVE_[A-Z0-9_]+$/);
    const key = option.join('.');
    assert.ok(!seen.has(key), `${key} twice`);
    seen.add(key);
    const top = defs.properties[option[0]!];
    assert.ok(top, `${variable}: no option ${option[0]}`);
    if (option.length === 2) {
      const group = top.$ref ? defs.definitions[top.$ref.split('/').pop()!] : top;
      assert.ok(group?.properties && option[1]! in group.properties, `${variable}: no option ${key}`);
    }
  }
});

test('docs/serve-config.md lists exactly the variables of the table', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'serve-config.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(TACHYON_SERVE_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), [...SERVE_ENV_VARS.map((e) => e.variable), SERVE_CONFIG_ENV_VAR].sort());
});
