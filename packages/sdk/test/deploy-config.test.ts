import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileDeployConfig, toModelRef } from '../src/index.js';

test('compileDeployConfig: TLS self-signed by default, only given fields set, frozen, equal options give equal specs', () => {
  const spec = compileDeployConfig({ name: 'mnv2', version: 2 });
  assert.deepEqual(spec, { model: { name: 'mnv2', version: 2 }, tls: 'self-signed' });
  assert.ok(Object.isFrozen(spec) && Object.isFrozen(spec.model));
  const full = {
    workers: 2,
    scheduler: { maxBatchSize: 4, batching: true },
    tls: 'none' as const,
    canary: { model: 'mnv2:3', percent: 10 },
    httpPort: 0,
    grpcPort: 9001,
  };
  const a = compileDeployConfig('mnv2:2', full);
  assert.deepEqual(a, {
    model: { name: 'mnv2', version: 2 },
    workers: 2,
    scheduler: { maxBatchSize: 4, batching: true },
    tls: 'none',
    canary: { model: { name: 'mnv2', version: 3 }, percent: 10 },
    httpPort: 0,
    grpcPort: 9001,
  });
  assert.deepEqual(compileDeployConfig('mnv2:2', { ...full }), a, 'deterministic');
  assert.deepEqual(compileDeployConfig('m:1', { tls: { certFile: 'c.pem', keyFile: 'k.pem' } }).tls, {
    certFile: 'c.pem',
    keyFile: 'k.pem',
  });
});

test('misuse is a TypeError or RangeError naming the argument', () => {
  assert.throws(() => toModelRef('mnv2'), /model: expected "name:version"/);
  assert.throws(() => toModelRef({ name: 'a', version: 0 }), TypeError);
  assert.throws(() => compileDeployConfig('m:1', { workers: 0 }), /deployConfig\.workers/);
  assert.throws(() => compileDeployConfig('m:1', { tls: 'mutual' as 'none' }), /deployConfig\.tls/);
  assert.throws(
    () => compileDeployConfig('m:1', { canary: { model: 'm:2', percent: 100 } }),
    /deployConfig\.canary\.percent/,
  );
  assert.throws(
    () => compileDeployConfig('m:1', { canary: { model: 'm', percent: 5 } }),
    /deployConfig\.canary\.model/,
  );
  assert.throws(() => compileDeployConfig('m:1', { httpPort: 70000 }), /deployConfig\.httpPort/);
  assert.throws(() => compileDeployConfig('m:1', { scheduler: { maxBatchSize: 0 } }), /scheduler\.maxBatchSize/);
});
