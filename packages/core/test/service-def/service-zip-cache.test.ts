import assert from 'node:assert/strict';
import { readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { createServiceZip, extractServiceZipToCache } from '../../src/service-def/index.js';
import { tempDir } from '@tachyon-serve/test-support';
import { buildRawZip, exampleFiles, exampleManifest } from '@tachyon-serve/test-support/service-zip';

async function exampleZip(dir: string): Promise<{ path: string; sha256: string }> {
  const { files: _files, ...draft } = exampleManifest();
  return createServiceZip(join(dir, 'def.zip'), draft, exampleFiles());
}

test('extracts once into <cacheDir>/svcdef/<sha256 of the zip>/ and reuses it', async (t) => {
  const dir = tempDir(t, 'tachyon-svccache-');
  const zip = await exampleZip(dir);
  const cacheDir = join(dir, 'cache');
  const first = await extractServiceZipToCache(zip.path, { cacheDir });
  assert.equal(first.cached, false);
  assert.equal(first.sha256, zip.sha256);
  assert.equal(first.dir, join(cacheDir, 'svcdef', zip.sha256));
  assert.equal(first.files.get('labels.txt'), join(first.dir, 'labels.txt'));
  const second = await extractServiceZipToCache(zip.path, { cacheDir });
  assert.equal(second.cached, true);
  assert.deepEqual(second.manifest, first.manifest);
  assert.deepEqual(second.files, first.files);
  assert.deepEqual(readdirSync(join(cacheDir, 'svcdef')), [zip.sha256]);
});

test('TACHYON_CACHE_DIR is used when no cacheDir is given', async (t) => {
  const dir = tempDir(t, 'tachyon-svccache-');
  const zip = await exampleZip(dir);
  const out = await extractServiceZipToCache(zip.path, { env: { TACHYON_CACHE_DIR: join(dir, 'env-cache') } });
  assert.equal(out.dir, join(dir, 'env-cache', 'svcdef', zip.sha256));
});

test('a damaged cache entry is extracted again', async (t) => {
  const dir = tempDir(t, 'tachyon-svccache-');
  const zip = await exampleZip(dir);
  const cacheDir = join(dir, 'cache');
  const first = await extractServiceZipToCache(zip.path, { cacheDir });
  truncateSync(first.files.get('models/resnet50-int8.head.onnx')!, 3);
  const again = await extractServiceZipToCache(zip.path, { cacheDir });
  assert.equal(again.cached, false);
  assert.deepEqual(readdirSync(join(cacheDir, 'svcdef')), [zip.sha256]);
});

test('a refused zip leaves nothing in the cache', async (t) => {
  const dir = tempDir(t, 'tachyon-svccache-');
  const path = join(dir, 'bad.zip');
  const manifest = exampleManifest();
  writeFileSync(
    path,
    buildRawZip([
      { name: 'service.json', data: Buffer.from(JSON.stringify(manifest)) },
      { name: '../evil', data: Buffer.from('x') },
    ]),
  );
  const cacheDir = join(dir, 'cache');
  await assert.rejects(extractServiceZipToCache(path, { cacheDir }), (err: unknown) =>
    isTachyonError(err, 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE'),
  );
  assert.deepEqual(readdirSync(join(cacheDir, 'svcdef')), []);
  await assert.rejects(extractServiceZipToCache(join(dir, 'none.zip'), { cacheDir }), (err: unknown) =>
    isTachyonError(err, 'TCH_ERR_IO_NOT_FOUND'),
  );
});
