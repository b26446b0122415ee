import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileModelSources } from '@tachyon-serve/core';
import type { ServeFileOptions } from '../../src/serve/serve-config-file.js';
import { SERVE_BUILTIN_OPTIONS, mergeServeLayers, type ServeLayer } from '../../src/serve/serve-config-merge.js';
import { compileServeOptions } from '../../src/serve/serve-options.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const flag: ServeFileOptions = {
  httpPort: 1001,
  scheduler: { maxBatchSize: 4 },
  tracing: { otlpEndpoint: 'http://127.0.0.1:4318/v1/traces' },
};
const env: ServeFileOptions = {
  httpPort: 2001,
  grpcPort: 2002,
  workers: 2,
  scheduler: { maxQueueDelayMs: 3, maxBatchSize: 99 },
  tls: { certFile: '/env/c.pem', keyFile: '/env/k.pem' },
};
const file: ServeFileOptions = {
  models: [{ name: 'm', source: '/file/m.onnx' }],
  httpPort: 3001,
  grpcPort: 3002,
  workers: 3,
  host: '127.0.0.3',
  tls: { certFile: '/file/c.pem', keyFile: '/file/k.pem' },
  scheduler: { maxQueueSize: 7, maxQueueDelayMs: 30 },
  cors: ['https://file.example'],
  workspace: undefined,
};
const workspace: ServeFileOptions = {
  models: [{ name: 'w', source: 'mobilenetv2-int8' }],
  host: '127.0.0.4',
  maxImages: 4,
  cors: ['https://ws.example', 'https://ws2.example'],
  scheduler: { batching: false },
  modelPath: ['/ws/mirror'],
  workspace: '/ws',
};
const LAYERS: ServeLayer[] = deepFreeze([
  { name: 'flag', options: flag },
  { name: 'env', options: env },
  { name: 'file', options: file },
  { name: 'workspace', options: workspace },
  { name: 'default', options: SERVE_BUILTIN_OPTIONS },
]);

test('flag > env > file > tachyon.json > default, option by option, with the source of each', () => {
  const { options, sources } = mergeServeLayers(LAYERS);
  const expected: Record<string, [unknown, string]> = {
    httpPort: [1001, 'flag'],
    grpcPort: [2002, 'env'],
    workers: [2, 'env'],
    host: ['127.0.0.3', 'file'],
    models: [[{ name: 'm', source: '/file/m.onnx' }], 'file'],
    maxImages: [4, 'workspace'],
    workspace: ['/ws', 'workspace'],
    modelPath: [['/ws/mirror'], 'workspace'],
    bodyLimit: [20 * 1024 * 1024, 'default'],
    logLevel: ['info', 'default'],
    noAuth: [false, 'default'],
  };
  for (const [key, [value, layer]] of Object.entries(expected)) {
    assert.deepEqual((options as Record<string, unknown>)[key], value, key);
    assert.equal(sources[key], layer, key);
  }
  assert.equal(sources['workspace'], 'workspace', 'undefined in a layer means "not set"');
});

test('groups merge field by field; tls, cors and models are taken whole from one layer', () => {
  const { options, sources } = mergeServeLayers(LAYERS);
  assert.deepEqual(options.scheduler, {
    maxBatchSize: 4,
    maxQueueDelayMs: 3,
    maxQueueSize: 7,
    batching: false,
    preferredBatchSizes: [],
  });
  assert.deepEqual(Object.fromEntries(Object.entries(sources).filter(([k]) => k.startsWith('scheduler.'))), {
    'scheduler.maxBatchSize': 'flag',
    'scheduler.maxQueueDelayMs': 'env',
    'scheduler.maxQueueSize': 'file',
    'scheduler.batching': 'workspace',
    'scheduler.preferredBatchSizes': 'default',
  });
  assert.deepEqual(options.tracing, {
    otlpEndpoint: 'http://127.0.0.1:4318/v1/traces',
    serviceName: 'tachyon',
    sampleRatio: 1,
  });
  assert.equal(sources['tracing.otlpEndpoint'], 'flag');
  assert.deepEqual(options.tls, { certFile: '/env/c.pem', keyFile: '/env/k.pem' });
  assert.equal(sources['tls'], 'env');
  assert.deepEqual(options.cors, ['https://file.example']);
  assert.equal(sources['tls.certFile'], undefined);
});

test('keys come out in schema order; no layer, no option', () => {
  const { options } = mergeServeLayers(LAYERS);
  assert.deepEqual(Object.keys(options).slice(0, 4), ['models', 'host', 'httpPort', 'grpcPort']);
  assert.deepEqual(mergeServeLayers([]), { options: {}, sources: {} });
});

test('the built-in layer holds the defaults compileServeOptions applies', () => {
  const sources = compileModelSources({ modelPath: [] });
  const models = [{ name: 'm', source: 'mobilenetv2-int8' }];
  const { modelPath: _m, logLevel: _l, ...builtin } = SERVE_BUILTIN_OPTIONS;
  for (const workers of [1, 3]) {
    assert.deepEqual(
      compileServeOptions({ ...builtin, models, sources, workers }),
      compileServeOptions({ models, sources, workers }),
      `workers ${workers}`,
    );
  }
});

test('misuse: a layer with an unknown name or no options object', () => {
  assert.throws(() => mergeServeLayers([{ name: 'cli' as 'flag', options: {} }]), /layers\[0\]\.name/);
  assert.throws(
    () => mergeServeLayers([{ name: 'flag', options: null as unknown as ServeFileOptions }]),
    /layers\[0\]\.options/,
  );
  assert.throws(() => mergeServeLayers('flag' as unknown as ServeLayer[]), TypeError);
});
