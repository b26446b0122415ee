import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createPostgresRegistryStore } from '../../src/registry/postgres/index.js';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();
const WORKER = fileURLToPath(new URL('./postgres-insert-worker.js', import.meta.url));
const PROCESSES = 8;
const PER_PROCESS = 6;

test(`${PROCESSES} processes opening a fresh database at once and registering one name -> versions 1..${PROCESSES * PER_PROCESS}, each once`, async (t) => {
  const url = await pgServer().createDatabase();
  const children = Array.from({ length: PROCESSES }, () =>
    spawn(process.execPath, [WORKER, url, 'shared-name', String(PER_PROCESS)], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  t.after(() => children.forEach((c) => c.exitCode === null && c.kill()));
  const outputs = children.map((child) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => stdout.includes('ready\n') && resolve());
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${stderr}`)));
    });
    const done = once(child, 'exit').then(([code]) => {
      assert.equal(code, 0, `worker failed: ${stderr}`);
      return JSON.parse(
        stdout
          .split('\n')
          .filter((l) => l !== '' && l !== 'ready')
          .at(-1) ?? 'null',
      ) as number[];
    });
    return { child, ready, done };
  });
  // Every process has migrated (or waited on the advisory lock) and holds an open pool before any insert starts.
  await Promise.all(outputs.map((o) => o.ready));
  for (const o of outputs) o.child.stdin.end('go\n');
  const perProcess = await Promise.all(outputs.map((o) => o.done));
  perProcess.forEach((versions) => assert.equal(versions.length, PER_PROCESS));
  const all = perProcess.flat().sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: PROCESSES * PER_PROCESS }, (_, i) => i + 1),
  );

  const store = await createPostgresRegistryStore(url);
  t.after(() => store.close());
  const rows = await store.listVersions({ name: 'shared-name' });
  assert.deepEqual(
    rows.map((r) => r.version),
    all,
  );
  assert.equal(new Set(rows.map((r) => r.size)).size, PROCESSES, 'every process registered');
  assert.deepEqual(await store.pendingBlobs(), []);
});
