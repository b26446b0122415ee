// Artifacts as PostgreSQL large objects (PostgresBlobStore), on a real PostgreSQL server started by the test.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import { isTachyonError } from '@tachyon-serve/protocol';
import { encodeOnnxModel } from '../../src/graph/index.js';
import { createBlobStore, createWorkspace, locateWorkspaceConfig, openRegistry } from '../../src/index.js';
import { PostgresBlobStore } from '../../src/registry/postgres/postgres-blob-store.js';
import { buildModel, floatInfo, floatTensor, node } from '../graph/graph-fixtures.js';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-pgblob-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
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

test('put streams a multi-chunk file into one large object; openRead streams it back; the same bytes are stored once; delete unlinks it', async (t) => {
  const dir = tempDir(t);
  const url = await pgServer().createDatabase('blobs');
  const store = await PostgresBlobStore.open(url, { cacheDir: join(dir, 'cache') });
  t.after(() => store.close());
  const bytes = randomBytes(1_000_003); // four 256 KiB lowrite calls and a tail
  const file = join(dir, 'a.bin');
  writeFileSync(file, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');

  assert.deepEqual(await store.put(file), { sha256, size: bytes.length });
  assert.deepEqual(await store.put(file), { sha256, size: bytes.length });
  assert.equal(await store.has(sha256), true);
  assert.deepEqual(
    (await store.list()).map((b) => [b.sha256, b.size]),
    [[sha256, bytes.length]],
  );
  assert.equal(
    (await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM pg_largeobject_metadata'))[0]!.n,
    '1',
    'one large object for two puts',
  );

  const chunks: Buffer[] = [];
  for await (const chunk of (await store.openRead(sha256)) as AsyncIterable<Buffer>) chunks.push(chunk);
  assert.ok(chunks.length >= 4, `streamed in chunks (${chunks.length})`);
  assert.deepEqual(Buffer.concat(chunks), bytes);

  // A reader on another machine: no local cache, so ensureLocal fetches (and checks) the bytes.
  const other = await PostgresBlobStore.open(url, { cacheDir: join(dir, 'other-cache') });
  t.after(() => other.close());
  const path = await other.ensureLocal(sha256);
  assert.equal(path, other.localPath(sha256));
  assert.deepEqual(readFileSync(path), bytes);

  assert.equal(await store.delete(sha256), true);
  assert.equal(await store.delete(sha256), false);
  assert.equal(await store.has(sha256), false);
  assert.equal(
    (await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM pg_largeobject_metadata'))[0]!.n,
    '0',
    'the large object is unlinked',
  );
  await assert.rejects(
    store.openRead(sha256),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_STORAGE_FAILED') && /missing/.test(e.message),
  );
});

test('a blob whose bytes were changed in the database fails the read with TCH_ERR_REGISTRY_STORAGE_FAILED (sha256 checked on read)', async (t) => {
  const dir = tempDir(t);
  const url = await pgServer().createDatabase('blobs');
  const store = await PostgresBlobStore.open(url, { cacheDir: join(dir, 'cache') });
  t.after(() => store.close());
  const file = join(dir, 'b.bin');
  writeFileSync(file, randomBytes(300_000));
  const { sha256 } = await store.put(file);
  const [{ oid }] = (await sql<{ oid: number }>(url, 'SELECT oid FROM blobs WHERE sha256 = $1', [sha256])) as [
    { oid: number },
  ];
  await sql(url, 'SELECT lo_put($1, 1000, $2)', [oid, Buffer.from('tampered')]);

  const read = async () => {
    for await (const _ of (await store.openRead(sha256)) as AsyncIterable<Buffer>) void _;
  };
  await assert.rejects(
    read(),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_STORAGE_FAILED') && /damaged/.test(e.message),
  );
  const fresh = await PostgresBlobStore.open(url, { cacheDir: join(dir, 'fresh-cache') });
  t.after(() => fresh.close());
  await assert.rejects(fresh.ensureLocal(sha256), (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_STORAGE_FAILED'));
  assert.deepEqual(
    (await fresh.list()).map((b) => b.sha256),
    [sha256],
    'the row stays; nothing damaged reached the cache',
  );
});

test('a workspace whose registry AND artifacts are one postgres:// URL: register, download, delete, recovery', async (t) => {
  const dir = tempDir(t);
  const url = await pgServer().createDatabase('ws');
  process.env['TACHYON_CACHE_DIR'] = join(dir, 'cache');
  t.after(() => {
    delete process.env['TACHYON_CACHE_DIR'];
  });
  await createWorkspace(join(dir, 'ws'), { name: 'shared', registry: url, artifacts: url });
  const config = locateWorkspaceConfig(join(dir, 'ws'));
  assert.equal(config.artifacts, url);
  const model = buildModel({
    name: 'm',
    node: [node('Add', ['x', 'c'], ['y'])],
    initializer: [floatTensor('c', [1], [7])],
    input: [floatInfo('x', [1])],
    output: [floatInfo('y', [1])],
  });
  const onnx = join(dir, 'm.onnx');
  writeFileSync(onnx, encodeOnnxModel(model));

  const registry = await openRegistry(config);
  t.after(() => registry.close());
  assert.ok((await createBlobStore(url).then(async (b) => (await b.close?.(), b))) instanceof PostgresBlobStore);
  const v1 = await registry.register(onnx, 'adder');
  assert.equal(v1.version, 1);
  assert.deepEqual(
    (await registry.blobs.list()).map((b) => b.sha256),
    [v1.sha256],
  );
  rmSync(join(dir, 'cache'), { recursive: true, force: true }); // a replica with an empty disk
  const out = join(dir, 'out.onnx');
  await registry.download('adder:1', out);
  assert.deepEqual(readFileSync(out), readFileSync(onnx));
  assert.deepEqual(readFileSync(await registry.localArtifactPath(v1)), readFileSync(onnx));
  assert.deepEqual(await sql(url, 'SELECT count(*)::int AS n FROM pending_blobs'), [{ n: 0 }]);
  await registry.delete('adder');
  assert.deepEqual(await registry.blobs.list(), [], 'the last version gone, its large object goes');
  assert.deepEqual(await sql(url, 'SELECT count(*)::int AS n FROM pg_largeobject_metadata'), [{ n: 0 }]);
});
