import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { isTachyonError } from '@tachyon-serve/protocol';
import { createPostgresRegistryStore, POSTGRES_MIGRATIONS } from '../../src/registry/postgres/index.js';
import type { NewModelVersion, RegistryStore } from '../../src/registry/registry-store.js';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const onnx = (name: string, extra: Partial<NewModelVersion> = {}): NewModelVersion => ({
  name,
  sha256: SHA_A,
  size: 10,
  kind: 'onnx',
  ...extra,
});

async function freshStore(t: TestContext, options = {}): Promise<{ store: RegistryStore; url: string }> {
  const url = await pgServer().createDatabase();
  const store = await createPostgresRegistryStore(url, options);
  t.after(() => store.close());
  return { store, url };
}

async function sql<R extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

test('opening migrates once: tachyon_migrations holds every step; ten concurrent openers of a fresh database all succeed', async (t) => {
  const url = await pgServer().createDatabase();
  const stores = await Promise.all(
    Array.from({ length: 10 }, () => createPostgresRegistryStore(url, { maxConnections: 2 })),
  );
  t.after(() => Promise.all(stores.map((s) => s.close())));
  const rows = await sql<{ id: number }>(url, 'SELECT id FROM tachyon_migrations ORDER BY id');
  assert.deepEqual(
    rows.map((r) => r.id),
    POSTGRES_MIGRATIONS.map((m) => m.id),
  );
  const reopened = await createPostgresRegistryStore(url);
  await reopened.close();
  assert.equal((await sql(url, 'SELECT id FROM tachyon_migrations')).length, POSTGRES_MIGRATIONS.length);
});

test('a database migrated by a newer tachyon is refused with TCH_ERR_REGISTRY_DATABASE_FAILED', async () => {
  const url = await pgServer().createDatabase();
  await (await createPostgresRegistryStore(url)).close();
  await sql(url, "INSERT INTO tachyon_migrations (id, name) VALUES (999, 'from the future')");
  await assert.rejects(
    createPostgresRegistryStore(url),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED') && /999.*upgrade tachyon/.test(e.message),
  );
});

test('versions count 1, 2, 3 per name, keep every field, and are never reused after a delete', async (t) => {
  const { store } = await freshStore(t);
  const first = await store.insertVersion(
    onnx('cats', { description: 'first', tags: { stage: 'dev' }, properties: { author: 'ann' }, size: 5_000_000_000 }),
  );
  assert.equal(first.version, 1);
  assert.deepEqual(
    { ...first, createdAt: undefined },
    {
      name: 'cats',
      version: 1,
      description: 'first',
      tags: { stage: 'dev' },
      properties: { author: 'ann' },
      sha256: SHA_A,
      size: 5_000_000_000,
      kind: 'onnx',
      createdAt: undefined,
    },
  );
  assert.match(first.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(first.createdAt) - Date.now()) < 60_000);
  assert.deepEqual(await store.getVersion('cats', 1), first);
  assert.equal((await store.insertVersion(onnx('cats', { kind: 'service-definition' }))).version, 2);
  assert.equal((await store.insertVersion(onnx('dogs'))).version, 1);
  assert.equal((await store.insertVersion(onnx('cats'))).version, 3);
  assert.equal((await store.getVersion('cats'))?.version, 3, 'latest');
  assert.equal(await store.deleteVersion('cats', 3), true);
  assert.equal(await store.deleteVersion('cats', 3), false);
  assert.equal(await store.getVersion('cats', 3), undefined);
  assert.equal((await store.getVersion('cats'))?.version, 2);
  assert.equal((await store.insertVersion(onnx('cats'))).version, 4, 'the deleted 3 is not reused');
  for (const v of [1, 2, 4]) assert.equal(await store.deleteVersion('cats', v), true);
  assert.equal(await store.getVersion('cats'), undefined);
  assert.equal((await store.insertVersion(onnx('cats'))).version, 5, 'nor after every version is gone');
  assert.equal(await store.getVersion('nobody'), undefined);
});

test('100 concurrent inserts over 20 pooled connections and 5 separate pools -> distinct consecutive versions per name', async (t) => {
  const { store, url } = await freshStore(t, { maxConnections: 20 });
  const others = await Promise.all(
    Array.from({ length: 5 }, () => createPostgresRegistryStore(url, { maxConnections: 4 })),
  );
  t.after(() => Promise.all(others.map((s) => s.close())));
  const all = [store, ...others];
  const records = await Promise.all(
    Array.from({ length: 100 }, (_, i) => all[i % all.length]!.insertVersion(onnx(i % 2 === 0 ? 'even' : 'odd'))),
  );
  for (const name of ['even', 'odd']) {
    const versions = records
      .filter((r) => r.name === name)
      .map((r) => r.version)
      .sort((a, b) => a - b);
    assert.deepEqual(
      versions,
      Array.from({ length: 50 }, (_, i) => i + 1),
      name,
    );
  }
  assert.equal((await store.listVersions()).length, 100);
});

test('a failed version insert rolls back its counter bump and keeps the journal entry', async (t) => {
  const { store, url } = await freshStore(t);
  await sql(
    url,
    `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; RETURN NEW; END $$`,
  );
  await sql(
    url,
    'CREATE TRIGGER refuse_boom BEFORE INSERT ON model_versions FOR EACH ROW EXECUTE FUNCTION refuse_boom()',
  );
  await store.addPendingBlob(SHA_A, 'host:1:x');
  await assert.rejects(
    store.insertVersion(onnx('boom'), 'host:1:x'),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED') && /refused by test trigger/.test(e.message),
  );
  assert.deepEqual(await sql(url, "SELECT * FROM model_counters WHERE name = 'boom'"), []);
  assert.equal((await store.pendingBlobs()).length, 1);
  await sql(url, 'DROP TRIGGER refuse_boom ON model_versions');
  assert.equal((await store.insertVersion(onnx('boom'), 'host:1:x')).version, 1, 'the failed attempt used no number');
  assert.deepEqual(await store.pendingBlobs(), []);
});

test('tags: set and remove, filter by key or key=value; listing is ordered by name (bytewise) then version', async (t) => {
  const { store } = await freshStore(t);
  for (const name of ['b-x', 'b.x', 'b_x', 'a', 'b']) await store.insertVersion(onnx(name));
  await store.insertVersion(onnx('a', { tags: { stage: 'prod', team: 'vision' } }));
  assert.deepEqual(
    (await store.listVersions()).map((r) => `${r.name}:${r.version}`),
    ['a:1', 'a:2', 'b:1', 'b-x:1', 'b.x:1', 'b_x:1'],
  );
  assert.deepEqual(
    (await store.listVersions({ name: 'a' })).map((r) => r.version),
    [1, 2],
  );
  const updated = await store.updateTags('a', 1, { stage: 'dev', owner: 'ann' });
  assert.deepEqual(updated?.tags, { stage: 'dev', owner: 'ann' });
  assert.deepEqual(
    (await store.listVersions({ tag: { key: 'stage' } })).map((r) => r.version),
    [1, 2],
  );
  assert.deepEqual(
    (await store.listVersions({ tag: { key: 'stage', value: 'prod' } })).map((r) => r.version),
    [2],
  );
  assert.deepEqual(await store.listVersions({ name: 'b', tag: { key: 'stage' } }), []);
  assert.deepEqual((await store.updateTags('a', 2, { note: 'x' }, ['team', 'missing']))?.tags, {
    stage: 'prod',
    note: 'x',
  });
  assert.deepEqual((await store.getVersion('a', 2))?.tags, { stage: 'prod', note: 'x' });
  assert.equal(await store.updateTags('a', 9, { x: 'y' }), undefined);
  assert.deepEqual((await store.getVersion('a', 2))?.properties, {}, 'properties are untouched');
});

test('deployment refs: add, replace, list by name or version, remove; a forced delete drops its refs', async (t) => {
  const { store } = await freshStore(t);
  await store.insertVersion(onnx('cats'));
  await store.insertVersion(onnx('cats'));
  await store.addDeploymentRef({ deployment: 'web', name: 'cats', version: 1 });
  await store.addDeploymentRef({ deployment: 'api', name: 'cats', version: 1 });
  assert.deepEqual(await store.deploymentRefs('cats', 1), [
    { deployment: 'api', name: 'cats', version: 1 },
    { deployment: 'web', name: 'cats', version: 1 },
  ]);
  await store.addDeploymentRef({ deployment: 'web', name: 'cats', version: 2 });
  assert.deepEqual(await store.deploymentRefs('cats', 1), [{ deployment: 'api', name: 'cats', version: 1 }]);
  assert.equal((await store.deploymentRefs('cats')).length, 2);
  await assert.rejects(store.addDeploymentRef({ deployment: 'x', name: 'cats', version: 7 }), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND'),
  );
  await store.removeDeploymentRef('api');
  await store.removeDeploymentRef('api');
  assert.deepEqual(await store.deploymentRefs('cats', 1), []);
  assert.equal(await store.deleteVersion('cats', 2), true);
  assert.deepEqual(await store.deploymentRefs('cats'), []);
});

test('pending-blob journal: add (idempotent), cleared by the owning insert only, removed; referenced blobs', async (t) => {
  const { store } = await freshStore(t);
  await store.addPendingBlob(SHA_A, 'h:1:a');
  await store.addPendingBlob(SHA_A, 'h:1:a');
  await store.addPendingBlob(SHA_A, 'h:2:b');
  await store.addPendingBlob(SHA_B, 'h:1:a');
  const pending = await store.pendingBlobs();
  assert.equal(pending.length, 3);
  assert.ok(pending.every((p) => !Number.isNaN(Date.parse(p.createdAt))));
  await store.insertVersion(onnx('cats'), 'h:1:a');
  assert.deepEqual((await store.pendingBlobs()).map((p) => `${p.sha256[0]}:${p.owner}`).sort(), ['a:h:2:b', 'b:h:1:a']);
  await store.removePendingBlob(SHA_B, 'h:1:a');
  await store.removePendingBlob(SHA_B, 'h:1:a');
  assert.deepEqual(
    (await store.pendingBlobs()).map((p) => p.owner),
    ['h:2:b'],
  );
  await store.insertVersion(onnx('dogs', { sha256: SHA_B }));
  await store.insertVersion(onnx('dogs', { sha256: SHA_B }));
  assert.deepEqual(await store.referencedBlobs(), new Set([SHA_A, SHA_B]));
});

test('exportAll -> importAll into an empty database reproduces every row, and numbering continues past deleted versions', async (t) => {
  const { store: source } = await freshStore(t);
  await source.insertVersion(onnx('cats', { description: 'd', tags: { stage: 'prod' }, properties: { p: '1' } }));
  await source.insertVersion(onnx('cats', { sha256: SHA_B, kind: 'service-definition' }));
  await source.insertVersion(onnx('cats'));
  await source.insertVersion(onnx('dogs'));
  await source.deleteVersion('cats', 3);
  await source.insertVersion(onnx('gone'));
  await source.deleteVersion('gone', 1);
  await source.addDeploymentRef({ deployment: 'web', name: 'cats', version: 2 });
  const exported = await source.exportAll();
  assert.deepEqual(exported.nextVersions, { cats: 4, dogs: 2, gone: 2 });
  const { store: target } = await freshStore(t);
  await target.importAll(exported);
  assert.deepEqual(await target.exportAll(), exported);
  assert.equal((await target.insertVersion(onnx('cats'))).version, 4);
  assert.equal((await target.insertVersion(onnx('gone'))).version, 2);
  await assert.rejects(target.importAll(exported), (e: unknown) => isTachyonError(e) && /not empty/.test(e.message));
  assert.equal((await target.listVersions()).length, exported.versions.length + 2, 'the refused import wrote nothing');
});

test('importAll takes counters below a version as the version + 1, and rejects malformed data before writing', async (t) => {
  const { store } = await freshStore(t);
  const version = {
    name: 'cats',
    version: 7,
    description: null,
    tags: {},
    properties: {},
    sha256: SHA_A,
    size: 1,
    kind: 'onnx' as const,
    createdAt: '2024-01-02T03:04:05.678Z',
  };
  await assert.rejects(
    store.importAll({ versions: [version, version], deployments: [], nextVersions: {} }),
    RangeError,
  );
  await assert.rejects(
    store.importAll({ versions: [{ ...version, createdAt: 'yesterday' }], deployments: [], nextVersions: {} }),
    TypeError,
  );
  await assert.rejects(store.importAll({ versions: [], deployments: [], nextVersions: { cats: 0 } }), RangeError);
  assert.deepEqual(await store.exportAll(), { versions: [], deployments: [], nextVersions: {} });
  await store.importAll({ versions: [version], deployments: [], nextVersions: { cats: 3 } });
  assert.deepEqual(await store.getVersion('cats'), version);
  assert.equal((await store.insertVersion(onnx('cats'))).version, 8);
});

test('connection failures are TCH_ERR_REGISTRY_DATABASE_FAILED with the reason and without the password', async () => {
  const secret = 's3cr%40t-pw';
  const missingSocket = `postgres://postgres:${secret}@/postgres?host=${encodeURIComponent(`${pgServer().dir}-nowhere`)}&port=5432`;
  const missingDb = `postgres://postgres:${secret}@/no_such_db?host=${encodeURIComponent(pgServer().dir)}&port=5432&password=${secret}`;
  for (const [url, reason] of [
    [missingSocket, /ENOENT|connect/],
    [missingDb, /database "no_such_db" does not exist/],
  ] as const) {
    await assert.rejects(createPostgresRegistryStore(url, { connectTimeoutMs: 2000 }), (e: unknown) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_DATABASE_FAILED'), String(e));
      assert.match(e.message, reason);
      const text = `${e.message} ${JSON.stringify(e.details)}`;
      assert.ok(!text.includes('s3cr') && !text.includes('pw'), text);
      assert.match(e.message, /postgres:\/\/postgres@\//);
      return true;
    });
  }
  await assert.rejects(createPostgresRegistryStore('mysql://x@y/z'), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'),
  );
});

test('misuse of the API is a TypeError or RangeError, a bad name or version TCH_ERR_REGISTRY_NAME_INVALID; a closed store refuses work', async (t) => {
  const { store } = await freshStore(t);
  await assert.rejects(store.insertVersion({ ...onnx('cats'), size: -1 }), RangeError);
  await assert.rejects(store.insertVersion({ ...onnx('cats'), kind: 'zip' as 'onnx' }), RangeError);
  await assert.rejects(store.insertVersion({ ...onnx('cats'), tags: { a: 1 as unknown as string } }), TypeError);
  await assert.rejects(store.insertVersion({ ...onnx('cats'), sha256: 'ABC' }), RangeError);
  await assert.rejects(store.insertVersion(onnx('Cats')), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_REGISTRY_NAME_INVALID'),
  );
  await assert.rejects(store.getVersion('cats', 1.5), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_REGISTRY_NAME_INVALID'),
  );
  await assert.rejects(store.addPendingBlob(SHA_A, ''), TypeError);
  await assert.rejects(createPostgresRegistryStore(42 as unknown as string), TypeError);
  await assert.rejects(createPostgresRegistryStore(pgServer().adminUrl, { maxConnections: 0 }), RangeError);
  await store.close();
  await store.close();
  await assert.rejects(store.listVersions(), TypeError);
});

test("collectBlob: clears the owner's entry, removes only a blob no version and no other journal entry uses, serialized with addPendingBlob", async (t) => {
  const { store } = await freshStore(t);
  const removed: string[] = [];
  const remove = (sha: string) => async () => void removed.push(sha);
  await store.insertVersion(onnx('cats'));
  assert.equal(await store.collectBlob!(SHA_A, remove(SHA_A)), false, 'a version uses it');
  await store.addPendingBlob(SHA_B, 'h:1:a');
  await store.addPendingBlob(SHA_B, 'h:2:b');
  assert.equal(await store.collectBlob!(SHA_B, remove(SHA_B), 'h:1:a'), false, 'another journal entry covers it');
  assert.deepEqual(
    (await store.pendingBlobs()).map((p) => p.owner),
    ['h:2:b'],
  );
  const failing = async () => {
    throw Object.assign(new Error('disk says no'), { code: 'EIO' });
  };
  await assert.rejects(store.collectBlob!(SHA_B, failing, 'h:2:b'), /disk says no/);
  assert.deepEqual(
    (await store.pendingBlobs()).map((p) => p.owner),
    ['h:2:b'],
    'a failed remove rolls the journal change back',
  );

  // While collectBlob holds the blob's lock (remove is slow), a registration's addPendingBlob waits for it.
  let releaseRemove!: () => void;
  const removeStarted = new Promise<void>((started) => {
    void store.collectBlob!(
      SHA_B,
      () => {
        started();
        return new Promise<void>((resolve) => (releaseRemove = resolve)).then(() => void removed.push(SHA_B));
      },
      'h:2:b',
    );
  });
  await removeStarted;
  let journaled = false;
  const journal = store.addPendingBlob(SHA_B, 'h:3:c').then(() => (journaled = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(journaled, false, 'addPendingBlob waits for the collection');
  releaseRemove();
  await journal;
  assert.deepEqual(removed, [SHA_B]);
  assert.deepEqual(
    (await store.pendingBlobs()).map((p) => p.owner),
    ['h:3:c'],
    'journaled after the file was gone: the registrant writes it again',
  );
});
