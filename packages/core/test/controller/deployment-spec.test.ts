import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TachyonError } from '@tachyon-serve/protocol';
import {
  DEPLOYMENT_SPEC_DEFAULTS,
  compileDeploymentSpec,
  isDns1035Label,
  type DeploymentSpecOptions,
} from '../../src/controller/deployment-spec.js';

const base: DeploymentSpecOptions = { service: 'vision', model: { name: 'resnet50', version: 3 } };

/** The TachyonError thrown by `fn`, checked to be TCH_ERR_CONFIG_INVALID. */
function configIssues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TachyonError, `expected a TachyonError, got ${String(error)}`);
    assert.equal(error.code, 'TCH_ERR_CONFIG_INVALID');
    return (error.details as { issues: string[] }).issues;
  }
  assert.fail('expected compileDeploymentSpec to throw');
}

test('defaults are applied and the spec is deeply frozen', () => {
  const spec = compileDeploymentSpec(base);
  assert.equal(spec.replicas, 1);
  assert.equal(spec.workers, 1);
  assert.equal(spec.image, DEPLOYMENT_SPEC_DEFAULTS.image);
  assert.match(spec.image, /^tachyon\/server:\d+\.\d+\.\d+$/);
  assert.equal(spec.tls, undefined);
  assert.ok(Object.isFrozen(spec) && Object.isFrozen(spec.model));
  assert.throws(() => {
    (spec.model as { version: number }).version = 4;
  }, TypeError);
});

test('scheduler options are compiled with their own defaults', () => {
  const spec = compileDeploymentSpec({ ...base, scheduler: { maxBatchSize: 16, preferredBatchSizes: [8, 4, 8] } });
  assert.deepEqual(spec.scheduler?.preferredBatchSizes, [4, 8]);
  assert.equal(spec.scheduler?.maxQueueSize, 64);
  assert.throws(() => compileDeploymentSpec({ ...base, scheduler: { maxBatchSize: 0 } }), /scheduler\.maxBatchSize/);
});

test('a service name that is not a DNS-1035 label is refused', () => {
  for (const service of ['Vision', '1vision', 'vision_1', 'vision-', 'a'.repeat(51)]) {
    const issues = configIssues(() => compileDeploymentSpec({ ...base, service }));
    assert.match(issues.join(), /DNS-1035/, service);
  }
  assert.ok(isDns1035Label('a-1') && !isDns1035Label('-a'));
});

test('replicas 0 and replicas outside the autoscale range are refused with a clear reason', () => {
  const autoscale = { minReplicas: 1, maxReplicas: 4, targetCpuPercent: 70 };
  const resources = { cpu: '1' };
  assert.match(
    configIssues(() => compileDeploymentSpec({ ...base, replicas: 0, autoscale, resources })).join(),
    /replicas must be an integer in \[1, 1000\], got 0/,
  );
  assert.match(
    configIssues(() => compileDeploymentSpec({ ...base, replicas: 5, autoscale, resources })).join(),
    /replicas 5 must lie within autoscale \[minReplicas 1, maxReplicas 4\]/,
  );
  assert.match(
    configIssues(() =>
      compileDeploymentSpec({
        ...base,
        autoscale: { ...autoscale, minReplicas: 3, maxReplicas: 2 },
        replicas: 3,
        resources,
      }),
    ).join(),
    /maxReplicas 2 is below minReplicas 3/,
  );
  assert.match(configIssues(() => compileDeploymentSpec({ ...base, autoscale })).join(), /needs resources\.cpu/);
  assert.equal(compileDeploymentSpec({ ...base, replicas: 2, autoscale, resources }).autoscale?.targetCpuPercent, 70);
  assert.equal(
    compileDeploymentSpec({ ...base, autoscale: { ...autoscale, minReplicas: 3 }, resources }).replicas,
    3,
    'replicas default to minReplicas',
  );
});

test('every issue is reported at once', () => {
  const issues = configIssues(() =>
    compileDeploymentSpec({
      service: 'Bad_Name',
      model: { name: 'ok', version: 0 },
      workers: 0,
      image: 'not an image',
      resources: { memory: 'lots' },
    }),
  );
  assert.equal(issues.length, 5, issues.join('\n'));
});

test('bad quantities, image references, model names and TLS settings are refused', () => {
  assert.match(
    configIssues(() => compileDeploymentSpec({ ...base, resources: { cpu: '0' } })).join(),
    /resources\.cpu "0"/,
  );
  assert.match(
    configIssues(() => compileDeploymentSpec({ ...base, model: { name: 'Bad Name', version: 1 } })).join(),
    /model\.name/,
  );
  assert.match(
    configIssues(() =>
      compileDeploymentSpec({ ...base, image: 'registry.example.com:5000/tachyon/server:1.0;rm' }),
    ).join(),
    /image/,
  );
  assert.equal(
    compileDeploymentSpec({ ...base, image: 'registry.example.com:5000/team/tachyon-server:1.2.3' }).image,
    'registry.example.com:5000/team/tachyon-server:1.2.3',
  );
  assert.match(
    configIssues(() => compileDeploymentSpec({ ...base, tls: { mode: 'secret', secretName: 'Not_Valid' } })).join(),
    /tls\.secretName/,
  );
  const tls = compileDeploymentSpec({ ...base, tls: { mode: 'cert-manager', issuer: 'letsencrypt' } }).tls;
  assert.deepEqual(tls, { mode: 'cert-manager', issuer: 'letsencrypt', issuerKind: 'Issuer', dnsNames: [] });
});

test('misuse of the API is a TypeError naming the field', () => {
  assert.throws(() => compileDeploymentSpec(null as unknown as DeploymentSpecOptions), /options/);
  assert.throws(() => compileDeploymentSpec({ ...base, replicas: '2' as unknown as number }), {
    name: 'TypeError',
    message: /options\.replicas/,
  });
  assert.throws(() => compileDeploymentSpec({ ...base, tls: { mode: 'acme' } as never }), {
    name: 'TypeError',
    message: /options\.tls\.mode/,
  });
  assert.throws(() => compileDeploymentSpec({ ...base, resources: { cpu: 2 as unknown as string } }), {
    name: 'TypeError',
    message: /resources\.cpu/,
  });
});
