import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { compileDeploymentSpec, type DeploymentSpecOptions } from '../../../src/controller/deployment-spec.js';
import { renderKubernetes } from '../../../src/controller/k8s/render-kubernetes.js';
import { createSchemaValidator } from './schema-validator.js';

const validate = createSchemaValidator();

const SPECS: Record<string, DeploymentSpecOptions> = {
  minimal: { service: 'vision', model: { name: 'resnet50', version: 1 } },
  full: {
    service: 'vision-prod',
    model: { name: 'catsdogs.v2', version: 7 },
    replicas: 3,
    workers: 4,
    scheduler: { maxBatchSize: 16, maxQueueDelayMs: 2, preferredBatchSizes: [8, 16] },
    tls: { mode: 'cert-manager', issuer: 'letsencrypt', issuerKind: 'ClusterIssuer', dnsNames: ['vision.example.com'] },
    image: 'registry.example.com/ml/tachyon-server:0.1.0',
    resources: { cpu: '2', memory: '3Gi' },
    autoscale: { minReplicas: 2, maxReplicas: 10, targetCpuPercent: 65 },
  },
  tlsSecret: {
    service: 'edge',
    model: { name: 'squeezenet', version: 2 },
    tls: { mode: 'secret', secretName: 'edge-cert' },
    resources: { memory: '1Gi' },
  },
};

/** Parses a YAML stream as kubectl would: every document must parse without errors or warnings. */
function parseStream(yaml: string): Record<string, unknown>[] {
  return parseAllDocuments(yaml).map((doc) => {
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.warnings, []);
    return doc.toJS() as Record<string, unknown>;
  });
}

for (const [label, options] of Object.entries(SPECS)) {
  test(`every rendered document of the "${label}" spec is valid against its Kubernetes/KServe/cert-manager schema`, async () => {
    const spec = compileDeploymentSpec(options);
    const rendered = renderKubernetes(spec, {
      registryUrl: 'postgres://tachyon@db.internal:5432/tachyon',
      format: 'all',
      namespace: 'ml',
    });
    const docs = parseStream(rendered.yaml);
    assert.deepEqual(docs, JSON.parse(JSON.stringify(rendered.documents)), 'the YAML round-trips to the documents');
    const kinds = docs.map((d) => d['kind']);
    const expected = [
      'Secret',
      ...(spec.tls?.mode === 'cert-manager' ? ['Certificate'] : []),
      'InferenceService',
      'PodDisruptionBudget',
      'Deployment',
      'Service',
      ...(spec.autoscale ? ['HorizontalPodAutoscaler'] : []),
      'PodDisruptionBudget',
    ];
    assert.deepEqual(kinds, expected);
    for (const doc of docs) assert.deepEqual(await validate(doc), [], `${String(doc['kind'])} must be schema-valid`);
  });
}

test('KServe canaryTrafficPercent is rendered when asked and checked by the CRD schema', async () => {
  const spec = compileDeploymentSpec(SPECS['minimal']!);
  const isvc = renderKubernetes(spec, { format: 'kserve', canaryTrafficPercent: 10 }).documents.find(
    (d) => d.kind === 'InferenceService',
  )! as Record<string, any>;
  assert.equal(isvc['spec'].predictor.canaryTrafficPercent, 10);
  assert.deepEqual(await validate(isvc), []);
  const broken = structuredClone(isvc);
  broken['spec'].predictor.canaryTrafficPercent = '10';
  assert.match((await validate(broken)).join(), /canaryTrafficPercent/);
  assert.throws(() => renderKubernetes(spec, { canaryTrafficPercent: 101 }), RangeError);
  const plain = renderKubernetes(spec, { format: 'plain' }).documents.find((d) => d.kind === 'Deployment')! as Record<
    string,
    any
  >;
  const pod = plain['spec'].template;
  assert.deepEqual(
    pod.spec.containers[0].lifecycle.preStop.exec.command.slice(0, 2),
    ['node', '-e'],
    'preStop drains before SIGTERM',
  );
  assert.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true');
});

test('the validator rejects what the API server would: a wrong type, a missing required field, an unknown field, a bad enum', async () => {
  const spec = compileDeploymentSpec(SPECS['full']!);
  const docs = renderKubernetes(spec, { registryUrl: 'postgres://tachyon@db/tachyon' }).documents.map(
    (d) => JSON.parse(JSON.stringify(d)) as Record<string, any>,
  );
  const byKind = (kind: string) => structuredClone(docs.find((d) => d['kind'] === kind)!);

  const deployment = byKind('Deployment');
  deployment['spec'].template.spec.containers[0].ports[0].containerPort = '8000';
  assert.match((await validate(deployment)).join(), /containerPort/);

  const noSelector = byKind('Deployment');
  delete noSelector['spec'].selector;
  assert.match((await validate(noSelector)).join(), /selector/);

  const isvc = byKind('InferenceService');
  isvc['spec'].predictor.containers[0].readinesProbe = {};
  assert.match((await validate(isvc)).join(), /readinesProbe/);

  const metric = byKind('InferenceService');
  metric['spec'].predictor.scaleMetric = 'gpu';
  assert.match((await validate(metric)).join(), /allowed values/);

  const cert = byKind('Certificate');
  delete cert['spec'].issuerRef;
  assert.match((await validate(cert)).join(), /issuerRef/);

  const hpa = byKind('HorizontalPodAutoscaler');
  hpa['spec'].maxReplicas = 2 ** 31;
  assert.match((await validate(hpa)).join(), /int32/);

  const secret = byKind('Secret');
  secret['kind'] = 'ConfigMap';
  assert.match((await validate(secret)).join(), /no schema/);

  // The strict pass: kubernetes-models accepts unknown keys (as the OpenAPI schema does); kubectl --validate=strict does not.
  const typo = byKind('Deployment');
  typo['spec'].template.spec.containers[0].readinessProbe.httpGet.prot = 8000;
  assert.match((await validate(typo)).join(), /unknown field "prot"/);
  const stringPort = byKind('Service');
  stringPort['spec'].ports[0].port = '8000';
  assert.match((await validate(stringPort)).join(), /ports\/0\/port/);
  const pdb = byKind('PodDisruptionBudget');
  pdb['spec'].maxUnavailabe = 1;
  assert.match((await validate(pdb)).join(), /unknown field "maxUnavailabe"/);
  const labels = byKind('Deployment');
  labels['metadata'].labels['any.key/is-fine'] = 'x';
  assert.deepEqual(await validate(labels), [], 'maps (labels) take any key');
});

test('`tachyon render --target kubernetes|kserve` (the real CLI) prints objects that pass the same validation', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../../../../cli/bin/tachyon.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-render-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'tachyon.json'),
    JSON.stringify({
      name: 'vision',
      registry: 'postgres://tachyon@db.internal/tachyon',
      artifacts: 'postgres://tachyon@db.internal/tachyon',
    }),
  );
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ primary: 'p'.repeat(32), secondary: 's'.repeat(32) }));
  for (const [target, kinds] of [
    ['kubernetes', ['Secret', 'Deployment', 'Service', 'PodDisruptionBudget']],
    ['kserve', ['Secret', 'InferenceService', 'PodDisruptionBudget']],
  ] as const) {
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'render',
        'vision',
        '--target',
        target,
        '--model',
        'cls:3',
        '--replicas',
        '3',
        '--keys',
        'keys.json',
        '--canary-traffic-percent',
        '20',
        '--json',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: Array<Record<string, any>> };
    assert.deepEqual(
      list.items.map((d) => d['kind']),
      kinds,
    );
    for (const doc of list.items) assert.deepEqual(await validate(doc), [], `${target}: ${String(doc['kind'])}`);
    if (target === 'kserve') assert.equal(list.items[1]!['spec'].predictor.canaryTrafficPercent, 20);
    assert.ok(!r.stdout.includes('persistentVolumeClaim'), 'the workspace keeps artifacts in PostgreSQL: no volume');
  }
});
