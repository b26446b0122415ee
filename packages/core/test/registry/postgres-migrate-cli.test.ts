// `tachyon workspace migrate` end to end: the real CLI binary against a real PostgreSQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createWorkspace, locateWorkspaceConfig, openRegistry } from '../../src/index.js';
import { writeTinyOnnx } from './fixtures.js';
import { REPO_ROOT } from '@tachyon-serve/test-support';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();
const BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'tachyon.js');

function tachyon(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function workspaceWithModels(t: TestContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-migrate-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await createWorkspace(dir, { name: 'vision' });
  const registry = await openRegistry(locateWorkspaceConfig(dir));
  try {
    await registry.register(writeTinyOnnx(join(dir, 'a.onnx'), 'one'), 'cats', { tags: { stage: 'dev' } });
    await registry.register(writeTinyOnnx(join(dir, 'b.onnx'), 'two'), 'cats');
    await registry.delete('cats', 2);
  } finally {
    await registry.close();
  }
  return dir;
}

test('tachyon workspace migrate --to URL --json: JSON on stdout only, credential-free, tachyon.json switched', async (t) => {
  const dir = await workspaceWithModels(t);
  const url = (await pgServer().createDatabase('cli')).replace('postgres://postgres@', 'postgres://postgres:hunter2@');
  const r = tachyon(['workspace', 'migrate', '--to', url, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(summary, {
    configFile: join(dir, 'tachyon.json'),
    backupFile: join(dir, 'tachyon.json.bak'),
    from: join(dir, 'registry.db'),
    to: url.replace(':hunter2', ''),
    names: 1,
    versions: 1,
    deployments: 0,
    deploymentRows: 0,
    artifacts: 1,
    artifactStore: url.replace(':hunter2', ''),
  });
  assert.ok(!r.stdout.includes('hunter2'));
  assert.match(r.stderr, /warning: tachyon\.json now holds the database password/);
  assert.equal((JSON.parse(readFileSync(join(dir, 'tachyon.json'), 'utf8')) as { registry: string }).registry, url);

  const registry = await openRegistry(locateWorkspaceConfig(dir));
  t.after(() => registry.close());
  assert.equal(registry.store.kind, 'postgres');
  assert.equal(
    (await registry.register(join(dir, 'a.onnx'), 'cats')).version,
    3,
    'numbering continues past the deleted cats:2',
  );

  const again = tachyon(['--workspace', dir, 'workspace', 'migrate', '--to', url], tmpdir());
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error TCH_ERR_CONFIG_INVALID: .*already uses a PostgreSQL registry/);
  assert.ok(!again.stderr.includes('hunter2'));
});

test('tachyon workspace migrate into a non-empty database fails with exit code 1 and changes nothing', async (t) => {
  const first = await workspaceWithModels(t);
  const second = await workspaceWithModels(t);
  const url = await pgServer().createDatabase('cli');
  assert.equal(tachyon(['workspace', 'migrate', '--to', url], first).code, 0);
  const before = readFileSync(join(second, 'tachyon.json'), 'utf8');
  const r = tachyon(['workspace', 'migrate', '--to', url], second);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error TCH_ERR_REGISTRY_DATABASE_FAILED: .*is not empty/);
  assert.equal(readFileSync(join(second, 'tachyon.json'), 'utf8'), before);
});
