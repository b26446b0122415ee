// tachyon deploy | services | service show | keys | logs | update | delete against the real daemon of a temporary
// workspace, with --json parsed (stdout = exactly one JSON document) and the human tables checked once.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Workspace } from 'tachyon-serve';
import { BIN, SHARED_MODELS } from './support/cli-runner.js';
import { spawn } from 'node:child_process';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process (async, so the daemon it starts is not blocked by this test). */
function tachyon(args: readonly string[], cwd: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, TACHYON_CACHE_DIR: join(cwd, 'cache') };
  delete env['TACHYON_MODEL_PATH'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function json<T>(args: readonly string[], cwd: string): Promise<T> {
  const r = await tachyon([...args, '--json'], cwd);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout.trim().split('\n').length, 1, `${args.join(' ')}: exactly one JSON document`);
  return JSON.parse(r.stdout) as T;
}

interface Status {
  name: string;
  state: string;
  spec: { model: { name: string; version: number }; workers?: number; tls?: string };
  generation: number;
  scoringUri?: string;
  caFile?: string;
  pid?: number;
}

function workspaceDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-cli-deploy-'));
  t.after(async () => {
    // Stop the daemon (and its service processes) even when an assertion failed.
    if (existsSync(join(dir, 'tachyon.json'))) {
      const ws = await Workspace.fromConfig(dir);
      await ws.stopDaemon().catch(() => undefined);
      await ws.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('deploy, services, service show, keys, logs, update and delete with --json and tables', async (t) => {
  const dir = workspaceDir(t);
  assert.equal((await tachyon(['workspace', 'create', dir, '--name', 'cli-deploy'], dir)).code, 0);
  const onnx = join(SHARED_MODELS, 'mobilenetv2-int8-qdq.onnx');
  for (let i = 0; i < 2; i++) await json(['model', 'register', onnx, '--name', 'mnv2'], dir);

  const missing = await tachyon(['service', 'show', 'fish'], dir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /error TCH_ERR_SERVICE_NOT_FOUND/);

  const deployed = await json<Status>(['deploy', 'fish', '--model', 'mnv2:1', '--tls', 'none'], dir);
  assert.equal(deployed.state, 'Healthy');
  assert.deepEqual(
    [deployed.spec.model, deployed.spec.tls, deployed.spec.workers ?? 1],
    [{ name: 'mnv2', version: 1 }, 'none', 1],
  );
  assert.match(deployed.scoringUri ?? '', /^http:\/\/127\.0\.0\.1:\d+\/v1\/services\/fish\/classify$/);
  const again = await json<Status>(['deploy', 'fish', '--model', 'mnv2:1', '--tls', 'none'], dir);
  assert.equal(again.generation, deployed.generation, 'deploying the same spec changes nothing');

  const list = await json<Status[]>(['services'], dir);
  assert.deepEqual(
    list.map((s) => [s.name, s.state]),
    [['fish', 'Healthy']],
  );
  const table = await tachyon(['services'], dir);
  assert.match(table.stdout, /^NAME\s+STATE\s+MODEL\s+RESTARTS\s+SCORING URI\nfish\s+Healthy\s+mnv2:1\s+0\s+http:/);
  assert.equal((await json<Status>(['service', 'show', 'fish'], dir)).pid, deployed.pid);
  assert.match((await tachyon(['service', 'show', 'fish'], dir)).stdout, /^name:\s+fish\nstate:\s+Healthy\n/);

  const keys = await json<{ primary: string; secondary: string }>(['keys', 'fish'], dir);
  assert.ok(keys.primary.length >= 16 && keys.secondary.length >= 16 && keys.primary !== keys.secondary);
  const rotated = await json<{ primary: string; secondary: string }>(['keys', 'fish', '--regenerate', 'primary'], dir);
  assert.notEqual(rotated.primary, keys.primary);
  assert.equal(rotated.secondary, keys.secondary);
  const logs = await json<{ service: string; lines: string[] }>(['logs', 'fish', '--tail', '3'], dir);
  assert.ok(logs.lines.length > 0 && logs.lines.length <= 3);

  const updated = await json<Status>(['update', 'fish', '--model', 'mnv2:2'], dir);
  assert.equal(updated.state, 'Healthy');
  assert.deepEqual(updated.spec.model, { name: 'mnv2', version: 2 });
  assert.ok(updated.generation > deployed.generation);

  const deleted = await json<{ service: string; deleted: string[] }>(['delete', 'fish'], dir);
  assert.equal(deleted.service, 'fish');
  assert.deepEqual(await json<Status[]>(['services'], dir), []);
  assert.equal(existsSync(join(dir, '.tachyon', 'services', 'fish')), false);
  const gone = await tachyon(['delete', 'fish'], dir);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /TCH_ERR_SERVICE_NOT_FOUND/);
});

test('deploy misuse is reported before anything starts', async (t) => {
  const dir = workspaceDir(t);
  assert.equal((await tachyon(['workspace', 'create', dir], dir)).code, 0);
  const bad = await tachyon(['deploy', 'fish', '--model', 'mnv2', '--workers', '0'], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error: --workers: expected an integer >= 1/);
  const tls = await tachyon(['deploy', 'fish', '--model', 'mnv2', '--tls', 'mutual'], dir);
  assert.notEqual(tls.code, 0);
  assert.match(tls.stderr, /--tls/);
  const unknown = await tachyon(['deploy', 'fish', '--model', 'nope:1', '--tls', 'none'], dir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /TCH_ERR_REGISTRY_MODEL_NOT_FOUND/);
  assert.equal(
    existsSync(join(dir, '.tachyon', 'daemon.json')),
    false,
    'no daemon was started for a model that does not exist',
  );
});
