// Registry behaviour across REAL processes: concurrent registrations of one name, and a registration killed
// between its blob and its row. Any backend: the factory returns a registry location (SQLite file or postgres:// URL).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import {
  FsBlobStore,
  createModelRegistry,
  createRegistryStore,
  type ModelVersionRecord,
} from '../../src/registry/index.js';
import { listFiles, writeTinyOnnx } from './fixtures.js';
import { tempDir } from '@tachyon-serve/test-support';

export type RegistryLocationFactory = (t: TestContext) => Promise<string>;

const CHILD = fileURLToPath(new URL('./register-child.js', import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `count` children that each open the registry and wait; releases them together; collects their output. */
async function raceChildren(args: (i: number) => string[], count: number): Promise<ChildResult[]> {
  const children = Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, [CHILD, ...args(i), '--wait'], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const results = children.map(
    (child) =>
      new Promise<ChildResult>((resolve) => {
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let seen = '';
          const onData = (d: Buffer) => {
            seen += d.toString();
            if (seen.includes('ready\n')) {
              child.stdout.off('data', onData);
              resolve();
            }
          };
          child.stdout.on('data', onData);
          child.once('close', () => reject(new Error(`a child exited before it was ready: ${seen}`)));
        }),
    ),
  );
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(results);
}

const lastJson = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').at(-1)!) as ModelVersionRecord & { error?: unknown };

export function defineMultiProcessSuite(
  label: string,
  createLocation: RegistryLocationFactory,
  options: { processes?: number } = {},
): void {
  const processes = options.processes ?? 6;

  test(`${label} multi-process: ${processes} processes register one name at once -> versions 1..${processes}`, {
    timeout: 120_000,
  }, async (t) => {
    const dir = tempDir(t, 'tachyon-registry-');
    const location = await createLocation(t);
    const artifacts = join(dir, 'artifacts');
    const files = [writeTinyOnnx(join(dir, 'even.onnx'), 'even'), writeTinyOnnx(join(dir, 'odd.onnx'), 'odd')];
    const results = await raceChildren(
      (i) => ['--registry', location, '--artifacts', artifacts, '--file', files[i % 2]!, '--name', 'shared'],
      processes,
    );
    for (const r of results) assert.equal(r.code, 0, `child failed: ${r.stdout} ${r.stderr}`);
    const records = results.map((r) => lastJson(r.stdout));
    assert.deepEqual(
      records.map((r) => r.version).sort((a, b) => a - b),
      Array.from({ length: processes }, (_, i) => i + 1),
    );

    const store = await createRegistryStore(location);
    t.after(() => store.close());
    assert.deepEqual(
      (await store.listVersions({ name: 'shared' })).map((r) => r.version),
      Array.from({ length: processes }, (_, i) => i + 1),
    );
    assert.deepEqual(await store.pendingBlobs(), []);
    // Two distinct artifacts, each stored once however many processes wrote it; no staging file left.
    assert.equal(listFiles(join(artifacts, 'blobs', 'sha256')).length, 2);
    assert.deepEqual(listFiles(join(artifacts, 'blobs', 'staging')), []);
  });

  test(`${label} multi-process: a registration killed between blob and row leaves nothing after the next open`, {
    timeout: 60_000,
  }, async (t) => {
    const dir = tempDir(t, 'tachyon-registry-');
    const location = await createLocation(t);
    const artifacts = join(dir, 'artifacts');
    const file = writeTinyOnnx(join(dir, 'tiny.onnx'));
    const crashed = spawnSync(
      process.execPath,
      [CHILD, '--registry', location, '--artifacts', artifacts, '--file', file, '--name', 'victim'],
      {
        env: { ...process.env, TACHYON_TEST_CRASH_AFTER_BLOB: '1' },
        encoding: 'utf8',
      },
    );
    assert.equal(crashed.signal, 'SIGKILL', `the child should have been killed: ${crashed.stdout} ${crashed.stderr}`);

    const store = await createRegistryStore(location);
    t.after(() => store.close());
    // The crash left exactly what recovery must undo: a committed blob and its journal entry, no row.
    assert.equal(listFiles(join(artifacts, 'blobs', 'sha256')).length, 1);
    assert.equal((await store.pendingBlobs()).length, 1);
    assert.deepEqual(await store.listVersions(), []);

    const registry = await createModelRegistry(store, new FsBlobStore(artifacts));
    assert.deepEqual(await registry.list(), []);
    assert.deepEqual(await store.pendingBlobs(), []);
    assert.deepEqual(listFiles(join(artifacts, 'blobs')), [], 'no orphan blob and no staging file');
    assert.equal((await registry.register(file, 'victim')).version, 1, 'the crashed registration took no number');
  });
}
