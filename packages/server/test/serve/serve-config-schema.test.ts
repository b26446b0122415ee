import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileModelSources, type SchedulerOptions } from '@tachyon-serve/core';
import type { ModelControlOptions } from '@tachyon-serve/core';
import type { MetricsOptions, TracingOptions } from '../../src/observability/observability-options.js';
import { findServeConfigIssues, type ServeFileOptions } from '../../src/serve/serve-config-file.js';
import type { LogLevel } from '../../src/http/http-options.js';
import { SERVE_CONFIG_KEYS, SERVE_CONFIG_SCHEMA, SERVE_LOG_LEVELS } from '../../src/serve/serve-config-schema.js';
import { compileServeOptions, type ServedModelOptions } from '../../src/serve/serve-options.js';
import type { TlsFiles } from '../../src/serve/tls-material.js';
import { REPO_ROOT } from '@tachyon-serve/test-support';

const DOC_PATH = join(REPO_ROOT, 'docs', 'serve-config.schema.json');
const REGENERATE = `node --input-type=module -e "import {SERVE_CONFIG_SCHEMA as s} from './packages/server/dist/src/index.js'; process.stdout.write(JSON.stringify(s, null, 2) + '\\n')" > docs/serve-config.schema.json`;

// Every option set. `satisfies Required<...>` makes the build fail when ServeOptions (or an option group) gains a
// key this list lacks; the tests below then make the schema follow.
const scheduler = {
  batching: true,
  maxBatchSize: 8,
  preferredBatchSizes: [4, 8],
  maxQueueDelayMs: 1.5,
  maxQueueSize: 32,
  concurrency: 2,
} satisfies Required<SchedulerOptions>;
const metrics = { enabled: true, historyBucketSeconds: 10, historyBuckets: 60 } satisfies Required<MetricsOptions>;
const tracing = {
  otlpEndpoint: 'http://127.0.0.1:4318/v1/traces',
  serviceName: 'edge',
  sampleRatio: 0.5,
  sampler: 'parentbased_traceidratio',
  headers: { 'x-api-key': 'k' },
  resourceAttributes: { 'deployment.environment.name': 'prod' },
} satisfies Required<TracingOptions>;
const modelControl = {
  enabled: false,
  loadTimeoutMs: 1000,
  memoryBudgetBytes: 1 << 30,
  maxLoadedVersions: 4,
} satisfies Required<ModelControlOptions>;
const fullModel = {
  name: 'mnv2',
  source: '/models/mobilenetv2-int8.onnx',
  versionPolicy: { latest: 2 },
  scheduler: { maxBatchSize: 4, preferredBatchSizes: [2, 4] },
} satisfies Required<ServedModelOptions>;
const FULL = {
  models: [
    fullModel,
    { name: 'reg', source: { kind: 'registry', name: 'flowers' }, versionPolicy: { specific: ['1', '3'] } },
  ],
  host: '127.0.0.1',
  httpPort: 8000,
  grpcPort: 8001,
  keysFile: '/etc/tachyon/keys.json',
  tls: { certFile: '/etc/tachyon/cert.pem', keyFile: '/etc/tachyon/key.pem' } satisfies Required<TlsFiles>,
  noAuth: false,
  insecure: false,
  workers: 2,
  maxImages: 16,
  bodyLimit: 1 << 20,
  cors: ['https://example.org'],
  maxConnections: 100,
  drainTimeoutMs: 5000,
  scheduler,
  metrics,
  tracing,
  modelControl,
  workspace: '/srv/ws',
  logLevel: 'warn',
  modelPath: ['/mirror'],
} satisfies Required<ServeFileOptions>;

type ObjectSchema = { properties: Record<string, unknown> };

test('docs/serve-config.schema.json is the schema in code (regenerate with the command in the message)', () => {
  const onDisk: unknown = JSON.parse(readFileSync(DOC_PATH, 'utf8'));
  assert.deepEqual(
    onDisk,
    JSON.parse(JSON.stringify(SERVE_CONFIG_SCHEMA)),
    `docs/serve-config.schema.json is stale; run: ${REGENERATE}`,
  );
});

test('the schema has exactly the options a file can set, group by group', () => {
  assert.deepEqual([...SERVE_CONFIG_KEYS].sort(), Object.keys(FULL).sort());
  const props = SERVE_CONFIG_SCHEMA.properties as unknown as Record<string, ObjectSchema>;
  const defs = SERVE_CONFIG_SCHEMA.definitions as unknown as Record<string, ObjectSchema>;
  assert.deepEqual(Object.keys(defs['scheduler']!.properties).sort(), Object.keys(scheduler).sort());
  assert.deepEqual(Object.keys(props['metrics']!.properties).sort(), Object.keys(metrics).sort());
  assert.deepEqual(Object.keys(props['tracing']!.properties).sort(), Object.keys(tracing).sort());
  assert.deepEqual(Object.keys(props['modelControl']!.properties).sort(), Object.keys(modelControl).sort());
  assert.deepEqual(Object.keys(props['tls']!.properties).sort(), ['certFile', 'keyFile']);
  assert.deepEqual(Object.keys(defs['servedModel']!.properties).sort(), Object.keys(fullModel).sort());
});

test('a file setting every option is valid and compiles', () => {
  assert.deepEqual(findServeConfigIssues(FULL), []);
  const { modelPath: _m, logLevel: _l, ...options } = FULL;
  const config = compileServeOptions({ ...options, sources: compileModelSources({ modelPath: [] }) });
  assert.equal(config.models[0]!.scheduler.maxBatchSize, 4);
  assert.deepEqual(config.models[1]!.versionPolicy, { specific: ['1', '3'] });
  assert.equal(config.tracing.sampleRatio, 0.5);
});

test('the schema states the ranges compileServeOptions enforces at their edges', () => {
  const ok: unknown[] = [
    { httpPort: 0 },
    { httpPort: 65535 },
    { workers: 256 },
    { bodyLimit: 1024 },
    { drainTimeoutMs: 0 },
    { scheduler: { maxQueueSize: 0 } },
    { tracing: { sampleRatio: 0 } },
  ];
  for (const doc of ok) assert.deepEqual(findServeConfigIssues(doc), [], JSON.stringify(doc));
  const bad: [unknown, string][] = [
    [{ httpPort: 65536 }, '/httpPort'],
    [{ workers: 257 }, '/workers'],
    [{ workers: 1.5 }, '/workers'],
    [{ bodyLimit: 1023 }, '/bodyLimit'],
    [{ drainTimeoutMs: -1 }, '/drainTimeoutMs'],
    [{ scheduler: { maxBatchSize: 0 } }, '/scheduler/maxBatchSize'],
    [{ tracing: { sampleRatio: 1.5 } }, '/tracing/sampleRatio'],
    [{ tracing: { otlpEndpoint: 'ftp://x' } }, '/tracing/otlpEndpoint'],
    [{ metrics: { historyBucketSeconds: 3601 } }, '/metrics/historyBucketSeconds'],
    [{ models: [{ name: 'a' }] }, '/models/0/source'],
    [{ models: [{ name: 'a', source: 'x', versionPolicy: {} }] }, '/models/0/versionPolicy'],
    [{ models: [{ name: 'a', source: { kind: 'disk', path: 'x' } }] }, '/models/0/source/kind'],
    [{ logLevel: 'verbose' }, '/logLevel'],
  ];
  for (const [doc, pointer] of bad)
    assert.deepEqual(
      findServeConfigIssues(doc).map((i) => i.pointer),
      [pointer],
      JSON.stringify(doc),
    );
});

test('the example file in docs/serve-config.md is valid and compiles', () => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'serve-config.md'), 'utf8');
  const block = /```json\n([\s\S]*?)\n```/.exec(doc);
  assert.ok(block, 'docs/serve-config.md has a ```json example');
  const example = JSON.parse(block[1]!) as ServeFileOptions & { $schema?: string };
  assert.deepEqual(findServeConfigIssues(example), []);
  const { $schema: _s, modelPath: _m, logLevel: _l, ...options } = example;
  assert.equal(
    compileServeOptions({ ...options, models: options.models!, sources: compileModelSources({ modelPath: [] }) }).models
      .length,
    4,
  );
});

test('logLevel takes exactly the levels the server knows', () => {
  const levels = { fatal: 1, error: 1, warn: 1, info: 1, debug: 1, trace: 1, silent: 1 } satisfies Record<
    LogLevel,
    number
  >;
  assert.deepEqual([...SERVE_LOG_LEVELS].sort(), Object.keys(levels).sort());
});
