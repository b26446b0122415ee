import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { isTachyonError } from '@tachyon-serve/protocol';
import { SQLITE_MIGRATIONS, createRegistryStore, createSqliteRegistryStore } from '../../src/registry/index.js';
import { defineMultiProcessSuite, defineRegistrySuite } from './registry-suite.js';
import { tempDir } from '@tachyon-serve/test-support';

defineRegistrySuite('sqlite', async (t) => {
  const store = await createSqliteRegistryStore(join(tempDir(t, 'tachyon-registry-'), 'registry.db'));
  t.after(() => store.close());
  return store;
});

defineMultiProcessSuite('sqlite', async (t) => join(tempDir(t, 'tachyon-registry-'), 'registry.db'));

test('sqlite: WAL journal, busy_timeout, foreign keys, and the migrations table', async (t) => {
  const file = join(tempDir(t, 'tachyon-registry-'), 'nested', 'registry.db');
  const store = await createSqliteRegistryStore(file, { busyTimeoutMs: 1234 });
  t.after(() => store.close());
  assert.deepEqual(
    (await store.migrations()).map((m) => [m.version, m.name]),
    SQLITE_MIGRATIONS.map((m) => [m.version, m.name]),
  );
  const db = new Database(file, { readonly: true });
  t.after(() => db.close());
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
  ).map((r) => r.name);
  assert.deepEqual(tables, [
    'deployment_refs',
    'deployments',
    'migrations',
    'model_names',
    'model_tags',
    'model_versions',
    'pending_blobs',
  ]);
});

test('sqlite: reopening keeps every row and applies no migration twice', async (t) => {
  const file = join(tempDir(t, 'tachyon-registry-'), 'registry.db');
  const first = await createSqliteRegistryStore(file);
  await first.insertVersion({ name: 'm', sha256: 'a'.repeat(64), size: 1, kind: 'onnx', tags: { k: 'v' } });
  await first.close();
  await first.close(); // idempotent
  await assert.rejects(first.listVersions(), TypeError);
  const second = await createRegistryStore(file);
  t.after(() => second.close());
  assert.equal(second.kind, 'sqlite');
  assert.deepEqual(
    (await second.listVersions()).map((r) => [r.name, r.version, { ...r.tags }]),
    [['m', 1, { k: 'v' }]],
  );
  assert.equal((await second.insertVersion({ name: 'm', sha256: 'a'.repeat(64), size: 1, kind: 'onnx' })).version, 2);
  assert.equal(
    (await (second as Awaited<ReturnType<typeof createSqliteRegistryStore>>).migrations()).length,
    SQLITE_MIGRATIONS.length,
  );
});

test('sqlite: a file that is not a database, or a newer schema, is TCH_ERR_REGISTRY_DATABASE_FAILED', async (t) => {
  const dir = tempDir(t, 'tachyon-registry-');
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, Buffer.alloc(4096, 7));
  await assert.rejects(createSqliteRegistryStore(garbage), (e) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED'));
    assert.match(e.message, /garbage\.db/);
    return true;
  });

  const newer = join(dir, 'newer.db');
  (await createSqliteRegistryStore(newer)).close();
  const db = new Database(newer);
  db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (999, ?, ?)').run(
    'from the future',
    new Date().toISOString(),
  );
  db.close();
  await assert.rejects(
    createSqliteRegistryStore(newer),
    (e) => isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED') && /newer/.test(e.message),
  );
});

test('sqlite: a write blocked by another process past busy_timeout fails with TCH_ERR_REGISTRY_DATABASE_FAILED', async (t) => {
  const file = join(tempDir(t, 'tachyon-registry-'), 'registry.db');
  const store = await createSqliteRegistryStore(file, { busyTimeoutMs: 50 });
  t.after(() => store.close());
  const blocker = new Database(file);
  blocker.exec('BEGIN IMMEDIATE');
  t.after(() => blocker.close());
  await assert.rejects(store.insertVersion({ name: 'm', sha256: 'a'.repeat(64), size: 1, kind: 'onnx' }), (e) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED'));
    assert.equal(e.details?.['sqliteCode'], 'SQLITE_BUSY');
    return true;
  });
  blocker.exec('ROLLBACK');
  assert.equal((await store.insertVersion({ name: 'm', sha256: 'a'.repeat(64), size: 1, kind: 'onnx' })).version, 1);
});
