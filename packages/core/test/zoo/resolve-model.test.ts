import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  ZOO_CATALOG,
  compileModelSources,
  pullZooModel,
  resolveModelRef,
  resolveZooModel,
  zooEntry,
  type ZooEntry,
} from '../../src/index.js';
import { sharedDir, tempDir } from '@tachyon-serve/test-support';

/** A small generated "model" served by a local HTTP server with Range support, counting requests. */
function fakeEntry(bytes: Buffer, url?: string): ZooEntry {
  return {
    id: 'fake-fp32',
    family: 'fake',
    dtype: 'fp32',
    url,
    fileName: 'fake.onnx',
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    input: 'x',
    output: 'y',
    inputShape: [1],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 13,
    description: 'test fixture',
  };
}

async function serve(t: TestContext, bytes: Buffer, options: { failFirst?: number; cutAt?: number } = {}) {
  const log: { range: string | undefined }[] = [];
  let failures = options.failFirst ?? 0;
  const server: Server = createServer((req, res) => {
    log.push({ range: req.headers.range });
    if (failures-- > 0) {
      res.writeHead(503).end();
      return;
    }
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    const body = bytes.subarray(from);
    res.writeHead(range ? 206 : 200, { 'content-length': body.length });
    if (options.cutAt !== undefined && log.length === 1) {
      // The first response sends part of the body, then drops the connection: the client must resume.
      res.write(body.subarray(0, options.cutAt), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fake.onnx`, log };
}

const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));

test('the catalog is frozen, ids are <family>-<dtype>, and every entry has a 64-hex sha256 and a size', () => {
  assert.ok(Object.isFrozen(ZOO_CATALOG));
  for (const e of ZOO_CATALOG) {
    assert.equal(e.id, `${e.family}-${e.dtype}`);
    assert.match(e.sha256, /^[0-9a-f]{64}$/);
    assert.ok(e.size > 0);
  }
  assert.equal(new Set(ZOO_CATALOG.map((e) => e.id)).size, ZOO_CATALOG.length);
  assert.throws(
    () => zooEntry('nope-fp32'),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_ZOO_UNKNOWN_MODEL'),
  );
});

test('mirror folder: the real shared models resolve and verify', async (t) => {
  const sources = compileModelSources({
    cacheDir: tempDir(t, 'tachyon-zoo-'),
    modelPath: [join(sharedDir(), 'models')],
    env: {},
  });
  const resolved = await resolveZooModel(zooEntry('mobilenetv2-int8'), sources);
  assert.equal(resolved.source, 'mirror');
  assert.equal(resolved.path, join(sharedDir(), 'models', 'mobilenetv2-int8-qdq.onnx'));
});

test('TACHYON_MODEL_PATH and TACHYON_CACHE_DIR are read; a flag overrides them', () => {
  const env = { TACHYON_MODEL_PATH: '/a:/b', TACHYON_CACHE_DIR: '/c' };
  const fromEnv = compileModelSources({ env, workspaceModelPath: ['/w'] });
  assert.deepEqual(fromEnv.modelPath, ['/a', '/b']);
  assert.equal(fromEnv.cacheDir, '/c');
  assert.deepEqual(compileModelSources({ env, modelPath: ['/f'], cacheDir: '/g' }).modelPath, ['/f']);
  assert.deepEqual(compileModelSources({ env: {}, workspaceModelPath: ['/w'] }).modelPath, ['/w']);
});

test('pull copies a mirror hit into the cache; the next resolve is a cache hit', async (t) => {
  const cacheDir = tempDir(t, 'tachyon-zoo-');
  const sources = compileModelSources({ cacheDir, modelPath: [join(sharedDir(), 'models')], env: {} });
  const pulled = await pullZooModel(zooEntry('squeezenet1.1-fp32'), sources);
  assert.equal(pulled.path, join(cacheDir, 'models', 'squeezenet1.1-fp32.onnx'));
  const again = await resolveZooModel(zooEntry('squeezenet1.1-fp32'), compileModelSources({ cacheDir, env: {} }));
  assert.equal(again.source, 'cache');
});

test('a mirror file whose sha256 does not match is refused, and the error lists every attempt', async (t) => {
  const mirror = tempDir(t, 'tachyon-zoo-');
  const bad = Buffer.from(payload);
  bad[10] = bad[10]! ^ 0xff;
  writeFileSync(join(mirror, 'fake.onnx'), bad);
  const sources = compileModelSources({ cacheDir: tempDir(t, 'tachyon-zoo-'), modelPath: [mirror], env: {} });
  await assert.rejects(resolveZooModel(fakeEntry(payload), sources), (e: unknown) => {
    if (!isTachyonError(e, 'TCH_ERR_ZOO_FETCH_FAILED')) return false;
    const attempts = e.details?.['attempts'] as { source: string; reason: string }[];
    assert.deepEqual(
      attempts.map((a) => a.source),
      ['cache', 'mirror', 'url'],
    );
    assert.match(attempts[1]!.reason, /sha256 mismatch/);
    return true;
  });
});

test('offline: the URL cannot be reached -> one error naming cache, mirrors and URL', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  server.close(); // nothing listens there any more
  const sources = compileModelSources({ cacheDir: tempDir(t, 'tachyon-zoo-'), modelPath: [], env: {}, retries: 2 });
  await assert.rejects(
    resolveZooModel(fakeEntry(payload, `http://127.0.0.1:${port}/fake.onnx`), sources),
    (e: unknown) => {
      if (!isTachyonError(e, 'TCH_ERR_ZOO_FETCH_FAILED')) return false;
      const attempts = e.details?.['attempts'] as { source: string; location: string }[];
      assert.deepEqual(
        attempts.map((a) => a.source),
        ['cache', 'mirror', 'url'],
      );
      assert.match(e.message, /127\.0\.0\.1/);
      return true;
    },
  );
});

test('download: retries after server errors, verifies sha256, renames atomically into the cache', async (t) => {
  const { url, log } = await serve(t, payload, { failFirst: 1 });
  const cacheDir = tempDir(t, 'tachyon-zoo-');
  const progress: number[] = [];
  const sources = compileModelSources({ cacheDir, env: {}, onProgress: (p) => progress.push(p.received) });
  const resolved = await resolveZooModel(fakeEntry(payload, url), sources);
  assert.equal(resolved.source, 'url');
  assert.deepEqual(readFileSync(resolved.path), payload);
  assert.equal(existsSync(`${resolved.path}.part`), false);
  assert.equal(log.length, 2);
  assert.equal(progress.at(-1), payload.length);
  // Second time: served from the cache, no request.
  assert.equal((await resolveZooModel(fakeEntry(payload, url), sources)).source, 'cache');
  assert.equal(log.length, 2);
});

test('download: a dropped connection is resumed with an HTTP Range request', async (t) => {
  const { url, log } = await serve(t, payload, { cutAt: 100_000 });
  const sources = compileModelSources({ cacheDir: tempDir(t, 'tachyon-zoo-'), env: {} });
  const resolved = await resolveZooModel(fakeEntry(payload, url), sources);
  assert.deepEqual(readFileSync(resolved.path), payload);
  assert.equal(log[0]!.range, undefined);
  assert.match(log.at(-1)!.range ?? '', /^bytes=\d+-$/);
  assert.ok(Number(/\d+/.exec(log.at(-1)!.range!)![0]) > 0);
});

test('download: a file with the wrong sha256 never lands in the cache', async (t) => {
  const other = Buffer.from(payload);
  other[5] = other[5]! ^ 1;
  const { url } = await serve(t, other);
  const cacheDir = tempDir(t, 'tachyon-zoo-');
  await assert.rejects(
    resolveZooModel(fakeEntry(payload, url), compileModelSources({ cacheDir, env: {} })),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_ZOO_FETCH_FAILED') && /sha256 mismatch/.test(e.message),
  );
  assert.equal(existsSync(join(cacheDir, 'models', 'fake.onnx')), false);
  assert.equal(existsSync(join(cacheDir, 'models', 'fake.onnx.part')), false);
});

test('a cache file altered after download is detected and not used', async (t) => {
  const cacheDir = tempDir(t, 'tachyon-zoo-');
  mkdirSync(join(cacheDir, 'models'));
  const path = join(cacheDir, 'models', 'fake.onnx');
  const tampered = Buffer.from(payload);
  tampered[0] = tampered[0]! ^ 1;
  writeFileSync(path, tampered);
  await assert.rejects(
    resolveZooModel(fakeEntry(payload), compileModelSources({ cacheDir, env: {} })),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_ZOO_FETCH_FAILED') && /cache .*sha256 mismatch/.test(e.message),
  );
});

test('a model reference is a zoo id or an .onnx path', async (t) => {
  const dir = tempDir(t, 'tachyon-zoo-');
  const file = join(dir, 'm.onnx');
  copyFileSync(join(sharedDir(), 'models', 'squeezenet1.1-fp32.onnx'), file);
  const sources = compileModelSources({ cacheDir: dir, env: {} });
  assert.deepEqual(await resolveModelRef(file, sources), { path: file, entry: undefined, source: 'file' });
  await assert.rejects(resolveModelRef(join(dir, 'missing.onnx'), sources), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'),
  );
  await assert.rejects(resolveModelRef('nope-int8', sources), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_ZOO_UNKNOWN_MODEL'),
  );
});
