import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError, type ServiceSpec } from '@tachyon-serve/protocol';
import { compileServiceSpec, isVersionOnlyChange, validateServiceName } from '../../src/controller/service-spec.js';

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    assert.ok(isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'), String(e));
    return e.details!['issues'] as string[];
  }
  assert.fail('expected TCH_ERR_CONFIG_INVALID');
};

test('compileServiceSpec fills the defaults, freezes, and gives equal specs equal JSON whatever the key order', () => {
  const a = compileServiceSpec({ model: { name: 'mnv2', version: 1 } });
  assert.deepEqual(a, {
    model: { name: 'mnv2', version: 1 },
    workers: 1,
    scheduler: {},
    tls: 'none',
    httpPort: 0,
    grpcPort: 0,
  });
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.model));
  const b = compileServiceSpec({ tls: 'none', workers: 1, model: { version: 1, name: 'mnv2' } } as ServiceSpec);
  assert.equal(JSON.stringify(b), JSON.stringify(a));
  const full = compileServiceSpec({
    model: { name: 'm', version: 3 },
    workers: 2,
    scheduler: { maxBatchSize: 4 },
    tls: 'self-signed',
    httpPort: 9000,
    grpcPort: 9001,
  });
  assert.deepEqual(full.scheduler, { maxBatchSize: 4 });
  assert.equal(full.tls, 'self-signed');
});

test('every issue at once: model, ports, workers, scheduler, tls, unknown fields, canary', () => {
  const issues = issuesOf(() =>
    compileServiceSpec({
      model: { name: 'Bad Name', version: 0 },
      workers: 0,
      httpPort: 70000,
      grpcPort: -1,
      scheduler: { maxBatchSize: 4, turbo: true },
      tls: { certFile: 'relative.pem', keyFile: '/k.pem' },
      canary: { model: { name: 'm', version: 2 }, percent: 10 },
      replicas: 2,
    } as unknown as ServiceSpec),
  );
  assert.equal(issues.length, 9, issues.join('\n'));
  for (const word of [
    'replicas',
    'model.name',
    'model.version',
    'canary',
    'workers',
    'httpPort',
    'grpcPort',
    'scheduler.turbo',
    'tls',
  ]) {
    assert.ok(
      issues.some((i) => i.includes(word)),
      `an issue names ${word}`,
    );
  }
  assert.ok(
    issuesOf(() => compileServiceSpec({ model: { name: 'm', version: 1 }, scheduler: { maxBatchSize: 0 } })).some((i) =>
      /maxBatchSize/.test(i),
    ),
  );
  assert.ok(
    issuesOf(() => compileServiceSpec({ model: { name: 'm', version: 1 }, httpPort: 9000, grpcPort: 9000 })).some((i) =>
      /differ/.test(i),
    ),
  );
  assert.throws(() => compileServiceSpec(null as unknown as ServiceSpec), TypeError);
});

test('validateServiceName accepts DNS-1035 labels of at most 50 characters', () => {
  assert.equal(validateServiceName('vision-2'), 'vision-2');
  for (const bad of ['Vision', '2vision', 'vision-', 'a'.repeat(51), '', 'a/b']) {
    assert.throws(
      () => validateServiceName(bad),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'),
      bad,
    );
  }
});

test('isVersionOnlyChange: a new version of the same model rolls; anything else restarts', () => {
  const v1 = compileServiceSpec({ model: { name: 'm', version: 1 } });
  assert.equal(isVersionOnlyChange(v1, compileServiceSpec({ model: { name: 'm', version: 2 } })), true);
  assert.equal(isVersionOnlyChange(v1, v1), false);
  assert.equal(isVersionOnlyChange(v1, compileServiceSpec({ model: { name: 'other', version: 2 } })), false);
  assert.equal(isVersionOnlyChange(v1, compileServiceSpec({ model: { name: 'm', version: 2 }, workers: 2 })), false);
  assert.equal(
    isVersionOnlyChange(v1, compileServiceSpec({ model: { name: 'm', version: 2 }, tls: 'self-signed' })),
    false,
  );
});
