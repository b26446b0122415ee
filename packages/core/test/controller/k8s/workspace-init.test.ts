import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileDeploymentSpec } from '../../../src/controller/deployment-spec.js';
import { renderKubernetes } from '../../../src/controller/k8s/render-kubernetes.js';
import { loadWorkspaceConfig } from '../../../src/config/workspace-config.js';

type Json = Record<string, any>;

/** Runs the rendered init container's command and env (secretKeyRefs resolved from `secrets`) with this node. */
function runInit(dir: string, secrets: Record<string, string>, artifactsClaim?: string | null) {
  const spec = compileDeploymentSpec({ service: 'vision', model: { name: 'resnet50', version: 3 } });
  const docs = renderKubernetes(spec, {
    registryUrl: 'postgres://tachyon@db/tachyon',
    format: 'plain',
    ...(artifactsClaim === undefined ? {} : { artifactsClaim }),
  }).documents as unknown as Json[];
  const init = docs[1]!['spec'].template.spec.initContainers[0];
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
  for (const e of init.env as Json[]) env[e['name']] = e['value'] ?? secrets[e['valueFrom'].secretKeyRef.key] ?? '';
  env['TACHYON_RUNTIME_DIR'] = dir;
  const [command, ...args] = init.command as string[];
  assert.equal(command, 'node');
  return spawnSync(process.execPath, args, { env, encoding: 'utf8' });
}

test('the init container writes a loadable tachyon.json, the keys file and the serve config, mode 0600', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = runInit(dir, {
    primary: 'p'.repeat(24),
    secondary: 's'.repeat(24),
    'registry-url': 'postgres://tachyon:pw@db:5432/tachyon',
  });
  assert.equal(result.status, 0, result.stderr);
  const workspace = loadWorkspaceConfig(join(dir, 'workspace'));
  assert.equal(workspace.registry, 'postgres://tachyon:pw@db:5432/tachyon');
  assert.equal(workspace.artifacts, '/var/lib/tachyon/artifacts');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')), {
    primary: 'p'.repeat(24),
    secondary: 's'.repeat(24),
  });
  assert.equal(JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8')).models[0].versionPolicy.specific[0], '3');
  for (const file of ['keys.json', 'serve.json', 'workspace/tachyon.json'])
    assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);
  assert.ok(!result.stderr.includes('pw@'), 'the init container never prints the registry URL');
});

test('the init container refuses to start on placeholder values', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = runInit(dir, {
    primary: 'REPLACE-ME-primary-key-at-least-16-characters',
    secondary: 's'.repeat(24),
    'registry-url': 'postgres://db/x',
  });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /TACHYON_PRIMARY_KEY still holds the placeholder/);
  assert.throws(() => statSync(join(dir, 'keys.json')));
});

test("artifacts in the registry (artifactsClaim: null): no volume, and the pod's tachyon.json takes the registry URL for artifacts", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = runInit(
    dir,
    { primary: 'p'.repeat(24), secondary: 's'.repeat(24), 'registry-url': 'postgres://tachyon@db:5432/tachyon' },
    null,
  );
  assert.equal(result.status, 0, result.stderr);
  const workspace = loadWorkspaceConfig(join(dir, 'workspace'));
  assert.equal(workspace.artifacts, 'postgres://tachyon@db:5432/tachyon');
  const spec = compileDeploymentSpec({ service: 'vision', model: { name: 'resnet50', version: 3 } });
  const pod = (renderKubernetes(spec, { format: 'plain', artifactsClaim: null }).documents[1] as unknown as Json)[
    'spec'
  ].template.spec;
  assert.ok(!JSON.stringify(pod).includes('persistentVolumeClaim'));
  assert.ok(!(pod.containers[0].volumeMounts as Json[]).some((m) => m['name'] === 'artifacts'));
});
