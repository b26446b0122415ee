import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findServeConfigIssues } from '@tachyon-serve/server';
import { runTachyon } from './support/cli-runner.js';
import { tempDir } from '@tachyon-serve/test-support';

const REGISTRY = ['--registry-url', 'postgres://tachyon@db.internal/tachyon'];
type Json = Record<string, any>;

test('k8s render prints a YAML stream whose pod serve config is valid for `tachyon serve --config`', (t) => {
  const dir = tempDir(t, 'tachyon-k8s-');
  const r = runTachyon(
    [
      'k8s',
      'render',
      'vision',
      '--model',
      'resnet50:3',
      '--format',
      'plain',
      ...REGISTRY,
      '--cpu',
      '1',
      '--autoscale',
      '2:6:70',
      '--workers',
      '2',
    ],
    dir,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    [...r.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]),
    ['Secret', 'Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'],
  );
  assert.equal(r.stdout.split(/^---$/m).length, 6, 'five YAML documents');
  assert.match(r.stderr, /placeholder keys/);
  // The same objects as JSON, to read the init container's serve config.
  const json = runTachyon(
    [
      'k8s',
      'render',
      'vision',
      '--model',
      'resnet50:3',
      '--format',
      'plain',
      ...REGISTRY,
      '--cpu',
      '1',
      '--autoscale',
      '2:6:70',
      '--workers',
      '2',
      '--json',
    ],
    dir,
  );
  const docs = (JSON.parse(json.stdout) as Json)['items'] as Json[];
  const init = docs[1]!['spec'].template.spec.initContainers[0];
  const serveJson = JSON.parse(init.env.find((e: Json) => e['name'] === 'TACHYON_SERVE_JSON').value);
  assert.deepEqual(findServeConfigIssues(serveJson), []);
  assert.deepEqual(serveJson.models[0].versionPolicy, { specific: ['3'] });
  assert.equal(serveJson.workers, 2);
});

test('k8s render --json prints a v1 List; --out writes one 0600 file per object', (t) => {
  const dir = tempDir(t, 'tachyon-k8s-');
  const keys = join(dir, 'keys.json');
  writeFileSync(keys, JSON.stringify({ primary: 'p'.repeat(32), secondary: 's'.repeat(32) }));
  const json = runTachyon(
    ['k8s', 'render', 'vision', '--model', 'resnet50:3', '--format', 'kserve', ...REGISTRY, '--keys', keys, '--json'],
    dir,
  );
  assert.equal(json.code, 0, json.stderr);
  const list = JSON.parse(json.stdout) as Json;
  assert.equal(list['kind'], 'List');
  assert.deepEqual(
    list['items'].map((d: Json) => d['kind']),
    ['Secret', 'InferenceService', 'PodDisruptionBudget'],
  );
  assert.equal(list['items'][0].stringData.primary, 'p'.repeat(32));
  assert.doesNotMatch(json.stderr, /placeholder/);

  const out = join(dir, 'manifests');
  const written = runTachyon(
    [
      'k8s',
      'render',
      'vision',
      '--model',
      'resnet50:3',
      ...REGISTRY,
      '--tls-cluster-issuer',
      'letsencrypt',
      '--out',
      out,
    ],
    dir,
  );
  assert.equal(written.code, 0, written.stderr);
  assert.equal(written.stdout, '');
  const files = readdirSync(out).sort();
  assert.deepEqual(files, [
    'certificate-vision.yaml',
    'deployment-vision.yaml',
    'inferenceservice-vision.yaml',
    'poddisruptionbudget-vision-predictor.yaml',
    'poddisruptionbudget-vision.yaml',
    'secret-vision-secrets.yaml',
    'service-vision.yaml',
  ]);
  for (const file of files) assert.equal(statSync(join(out, file)).mode & 0o777, 0o600, file);
  const cert = readFileSync(join(out, 'certificate-vision.yaml'), 'utf8');
  assert.match(cert, /^kind: Certificate$/m);
  assert.match(cert, /issuerRef:\n {4}name: letsencrypt\n {4}kind: ClusterIssuer\n/);
});

test('k8s render refuses a bad service name, a model without version and a SQLite-only workspace, with exit code 1', (t) => {
  const dir = tempDir(t, 'tachyon-k8s-');
  const bad = runTachyon(['k8s', 'render', 'Vision_1', '--model', 'resnet50:3', ...REGISTRY], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /TCH_ERR_CONFIG_INVALID.*DNS-1035/);
  const noVersion = runTachyon(['k8s', 'render', 'vision', '--model', 'resnet50', ...REGISTRY], dir);
  assert.equal(noVersion.code, 1);
  assert.match(noVersion.stderr, /NAME:VERSION/);
  const sqlite = runTachyon(['k8s', 'render', 'vision', '--model', 'resnet50:3'], dir);
  assert.equal(sqlite.code, 1);
  assert.match(sqlite.stderr, /PostgreSQL registry/);
  assert.equal(sqlite.stdout, '');
});
