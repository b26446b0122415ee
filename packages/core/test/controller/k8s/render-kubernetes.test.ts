import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileDeploymentSpec } from '../../../src/controller/deployment-spec.js';
import { KSERVE_CONTAINER } from '../../../src/controller/k8s/kserve-manifest.js';
import { manifestFileName, renderKubernetes } from '../../../src/controller/k8s/render-kubernetes.js';
import { SECRET_PLACEHOLDERS } from '../../../src/controller/k8s/secret-manifests.js';
import { POD_PATHS } from '../../../src/controller/k8s/workspace-init.js';

type Json = Record<string, any>;
const spec = compileDeploymentSpec({
  service: 'vision',
  model: { name: 'resnet50', version: 3 },
  replicas: 2,
  workers: 2,
  scheduler: { maxBatchSize: 16 },
  resources: { cpu: '1500m', memory: '2Gi' },
  autoscale: { minReplicas: 2, maxReplicas: 5, targetCpuPercent: 70 },
});
const docs = (format: 'kserve' | 'plain' | 'all', extra = {}) =>
  renderKubernetes(spec, { registryUrl: 'postgres://tachyon@db/tachyon', format, ...extra })
    .documents as unknown as Json[];
const envOf = (container: Json) =>
  Object.fromEntries((container['env'] as Json[]).map((e) => [e['name'], e['value'] ?? e['valueFrom']]));

test('the format picks the workload objects; the Secret is always first', () => {
  assert.deepEqual(
    docs('kserve').map((d) => d['kind']),
    ['Secret', 'InferenceService', 'PodDisruptionBudget'],
  );
  assert.deepEqual(
    docs('plain').map((d) => d['kind']),
    ['Secret', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'],
  );
  assert.deepEqual(
    docs('all').map((d) => d['kind']),
    [
      'Secret',
      'InferenceService',
      'PodDisruptionBudget',
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
    ],
  );
  assert.deepEqual(docs('all').map(manifestFileName as (d: Json) => string), [
    'secret-vision-secrets.yaml',
    'inferenceservice-vision.yaml',
    'poddisruptionbudget-vision-predictor.yaml',
    'deployment-vision.yaml',
    'service-vision.yaml',
    'horizontalpodautoscaler-vision.yaml',
    'poddisruptionbudget-vision.yaml',
  ]);
});

test('the KServe predictor runs tachyon serve with the ports named http1 and h2c, in RawDeployment mode', () => {
  const isvc = docs('kserve')[1]!;
  assert.equal(isvc['metadata'].annotations['serving.kserve.io/deploymentMode'], 'RawDeployment');
  const predictor = isvc['spec'].predictor;
  assert.deepEqual(
    [predictor.minReplicas, predictor.maxReplicas, predictor.scaleMetric, predictor.scaleTarget],
    [2, 5, 'cpu', 70],
  );
  const container = predictor.containers[0];
  assert.equal(container.name, KSERVE_CONTAINER);
  assert.deepEqual(container.args, ['serve', '--config', POD_PATHS.serveConfig]);
  assert.deepEqual(
    container.ports.map((p: Json) => [p['name'], p['containerPort']]),
    [
      ['http1', 8000],
      ['h2c', 8001],
    ],
  );
  assert.equal(container.livenessProbe.httpGet.path, '/v2/health/live');
  assert.equal(container.readinessProbe.httpGet.path, '/v2/health/ready');
  assert.equal(container.livenessProbe.httpGet.scheme, 'HTTP');
  assert.deepEqual(container.resources, { requests: { cpu: '1500m', memory: '2Gi' }, limits: { memory: '2Gi' } });
});

test('the pod pins the registered version and reads the registry URL and keys from the Secret', () => {
  const init = docs('kserve')[1]!['spec'].predictor.initContainers[0];
  const env = envOf(init);
  const serve = JSON.parse(env['TACHYON_SERVE_JSON']);
  assert.deepEqual(serve.models, [
    {
      name: 'resnet50',
      source: 'registry:resnet50',
      versionPolicy: { specific: ['3'] },
      scheduler: {
        batching: true,
        maxBatchSize: 16,
        preferredBatchSizes: [],
        maxQueueDelayMs: 0,
        maxQueueSize: 64,
        concurrency: 1,
      },
    },
  ]);
  assert.deepEqual(
    [serve.host, serve.httpPort, serve.grpcPort, serve.workers, serve.insecure, serve.workspace],
    ['0.0.0.0', 8000, 8001, 2, true, POD_PATHS.workspace],
  );
  assert.deepEqual(env['TACHYON_REGISTRY_URL'], { secretKeyRef: { name: 'vision-secrets', key: 'registry-url' } });
  assert.deepEqual(env['TACHYON_PRIMARY_KEY'], { secretKeyRef: { name: 'vision-secrets', key: 'primary' } });
  assert.equal(
    JSON.parse(env['TACHYON_WORKSPACE_JSON']).registry,
    undefined,
    'the registry URL never appears outside the Secret',
  );
});

test('a registry URL kept in an existing Secret is referenced, not copied', () => {
  const all = docs('plain', { registryUrl: { secretName: 'db-credentials', key: 'url' } });
  assert.equal(all[0]!['stringData']['registry-url'], undefined);
  const init = all[1]!['spec'].template.spec.initContainers[0];
  assert.deepEqual(envOf(init)['TACHYON_REGISTRY_URL'], { secretKeyRef: { name: 'db-credentials', key: 'url' } });
});

test('keys never get invented: placeholders unless passed, and the Secret says so', () => {
  const [secret] = docs('plain');
  assert.deepEqual(secret!['stringData'], {
    primary: SECRET_PLACEHOLDERS.primary,
    secondary: SECRET_PLACEHOLDERS.secondary,
    'registry-url': 'postgres://tachyon@db/tachyon',
  });
  assert.match(secret!['metadata'].annotations['tachyon.dev/placeholders'], /REPLACE-ME/);
  const keys = { primary: 'p'.repeat(32), secondary: 's'.repeat(32) };
  const [given] = docs('plain', { keys });
  assert.equal(given!['stringData'].primary, keys.primary);
  assert.equal(given!['metadata'].annotations['tachyon.dev/placeholders'], undefined);
  const noRegistry = renderKubernetes(spec).documents[0] as Json;
  assert.equal(noRegistry['stringData']['registry-url'], SECRET_PLACEHOLDERS.registryUrl);
});

test('plain manifests: selector labels match, the HPA targets the Deployment, the Service exposes both ports', () => {
  const [, deployment, service, hpa] = docs('plain');
  const selector = deployment!['spec'].selector.matchLabels;
  for (const [k, v] of Object.entries(selector)) assert.equal(deployment!['spec'].template.metadata.labels[k], v);
  assert.deepEqual(service!['spec'].selector, selector);
  assert.equal(deployment!['spec'].replicas, undefined, 'with autoscale the HPA owns the replica count');
  assert.deepEqual(hpa!['spec'].scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'vision' });
  assert.equal(hpa!['spec'].metrics[0].resource.target.averageUtilization, 70);
  assert.deepEqual(
    service!['spec'].ports.map((p: Json) => [p['name'], p['port'], p['appProtocol']]),
    [
      ['http', 8000, 'http'],
      ['grpc', 8001, 'kubernetes.io/h2c'],
    ],
  );
  for (const doc of docs('all')) assert.equal(doc['metadata'].annotations['tachyon.dev/model'], 'resnet50:3');
  const fixed = renderKubernetes(
    compileDeploymentSpec({ service: 'fixed', model: { name: 'm', version: 1 }, replicas: 3 }),
    { format: 'plain' },
  ).documents;
  assert.equal((fixed[1] as Json)['spec'].replicas, 3);
  assert.deepEqual(
    fixed.map((d) => d.kind),
    ['Secret', 'Deployment', 'Service', 'PodDisruptionBudget'],
  );
});

test('TLS: cert-manager gets a Certificate whose Secret the pods mount, and probes switch to HTTPS', () => {
  const tlsSpec = compileDeploymentSpec({
    service: 'vision',
    model: { name: 'resnet50', version: 1 },
    tls: { mode: 'cert-manager', issuer: 'ca', dnsNames: ['vision.example.com'] },
  });
  const all = renderKubernetes(tlsSpec, { registryUrl: 'postgres://tachyon@db/tachyon', namespace: 'ml' })
    .documents as unknown as Json[];
  const cert = all.find((d) => d['kind'] === 'Certificate')!;
  assert.equal(cert['spec'].secretName, 'vision-tls');
  assert.ok(
    cert['spec'].dnsNames.includes('vision.ml.svc.cluster.local') &&
      cert['spec'].dnsNames.includes('vision.example.com'),
  );
  const pod = all.find((d) => d['kind'] === 'Deployment')!['spec'].template.spec;
  assert.deepEqual(pod.volumes.find((v: Json) => v['name'] === 'tls').secret.secretName, 'vision-tls');
  assert.equal(pod.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
  const serve = JSON.parse(envOf(pod.initContainers[0])['TACHYON_SERVE_JSON']);
  assert.deepEqual(serve.tls, { certFile: `${POD_PATHS.tls}/tls.crt`, keyFile: `${POD_PATHS.tls}/tls.key` });
  assert.equal(serve.insecure, undefined);
  assert.equal(all.find((d) => d['kind'] === 'Service')!['spec'].ports[1].appProtocol, undefined);
});

test('render options are checked and name the option', () => {
  assert.throws(() => renderKubernetes(spec, { format: 'helm' as never }), {
    name: 'RangeError',
    message: /options\.format/,
  });
  assert.throws(() => renderKubernetes(spec, { registryUrl: 'mysql://x' }), {
    name: 'RangeError',
    message: /options\.registryUrl/,
  });
  assert.throws(() => renderKubernetes(spec, { keys: { primary: 'short', secondary: 's'.repeat(20) } }), {
    name: 'RangeError',
    message: /options\.keys\.primary/,
  });
  assert.throws(() => renderKubernetes(spec, { namespace: 'Bad' }), {
    name: 'RangeError',
    message: /options\.namespace/,
  });
  assert.throws(() => renderKubernetes({ ...spec } as never), { name: 'TypeError', message: /spec/ });
  // The message never echoes a URL that may hold a password.
  assert.throws(
    () => renderKubernetes(spec, { registryUrl: 'mysql://u:hunter2@db/x' }),
    (error: Error) => !error.message.includes('hunter2'),
  );
});
