// ModelRegistry over a RegistryStore + FsBlobStore: register, get, list, download, delete, tag and bad input.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  FsBlobStore,
  createModelRegistry,
  type FsBlobStoreOptions,
  type ModelRegistry,
} from '../../src/registry/index.js';
import { listFiles, sha256File, writeTinyOnnx, writeTinyServiceZip } from './fixtures.js';
import type { StoreFactory } from './store-contract-suite.js';
import { tempDir } from '@tachyon-serve/test-support';

export interface RegistryHarness {
  registry: ModelRegistry;
  dir: string;
  artifacts: string;
  onnx: string;
  onnx2: string;
  zip: string;
}

export async function openHarness(
  t: TestContext,
  createStore: StoreFactory,
  blobOptions: FsBlobStoreOptions = {},
): Promise<RegistryHarness> {
  const dir = tempDir(t, 'tachyon-registry-');
  const artifacts = join(dir, 'artifacts');
  const registry = await createModelRegistry(await createStore(t), new FsBlobStore(artifacts, blobOptions));
  return {
    registry,
    dir,
    artifacts,
    onnx: writeTinyOnnx(join(dir, 'tiny.onnx'), 'one'),
    onnx2: writeTinyOnnx(join(dir, 'tiny2.onnx'), 'two'),
    zip: await writeTinyServiceZip(join(dir, 'model_def.zip')),
  };
}

/** Nothing of a failed registration may remain: no version, no journal entry, no blob, no staging file. */
export async function assertNothingRegistered(h: RegistryHarness): Promise<void> {
  assert.deepEqual(await h.registry.list(), []);
  assert.deepEqual(await h.registry.store.pendingBlobs(), []);
  assert.deepEqual(listFiles(join(h.artifacts, 'blobs')), []);
}

const code = (c: string) => (e: unknown) => isTachyonError(e) && e.code === c;

export function defineModelRegistrySuite(label: string, createStore: StoreFactory): void {
  test(`${label} registry: register an ONNX model and a service definition; same bytes stored once`, async (t) => {
    const h = await openHarness(t, createStore);
    const v1 = await h.registry.register(h.onnx, 'flowers', {
      description: 'tiny',
      tags: { stage: 'dev' },
      properties: { top1: '0.5' },
    });
    assert.deepEqual([v1.name, v1.version, v1.kind, v1.description], ['flowers', 1, 'onnx', 'tiny']);
    assert.equal(v1.sha256, sha256File(h.onnx));
    assert.equal(v1.size, readFileSync(h.onnx).length);
    assert.deepEqual([{ ...v1.tags }, { ...v1.properties }], [{ stage: 'dev' }, { top1: '0.5' }]);
    assert.deepEqual(readFileSync(h.registry.artifactPath(v1)), readFileSync(h.onnx));
    assert.equal(h.registry.artifactPath(v1), join(h.artifacts, 'blobs', 'sha256', v1.sha256.slice(0, 2), v1.sha256));

    const v2 = await h.registry.register(h.zip, 'flowers');
    assert.deepEqual([v2.version, v2.kind, v2.sha256], [2, 'service-definition', sha256File(h.zip)]);
    const other = await h.registry.register(h.onnx, 'other');
    assert.equal(other.sha256, v1.sha256);
    assert.deepEqual(
      listFiles(join(h.artifacts, 'blobs')),
      [v1.sha256, v2.sha256].sort().map((s) => join('sha256', s.slice(0, 2), s)),
    );
    assert.deepEqual(await h.registry.store.pendingBlobs(), []);
  });

  test(`${label} registry: get latest, name:version, a version argument; list`, async (t) => {
    const h = await openHarness(t, createStore);
    await h.registry.register(h.onnx, 'm');
    await h.registry.register(h.onnx2, 'm');
    assert.equal((await h.registry.get('m')).version, 2);
    assert.equal((await h.registry.get('m:1')).version, 1);
    assert.equal((await h.registry.get('m', 1)).version, 1);
    assert.equal(await h.registry.find('m:3'), undefined);
    await assert.rejects(h.registry.get('m:3'), code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
    await assert.rejects(h.registry.get('nope'), code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
    for (const bad of ['m:0', 'm:x', 'm:-1', 'M', 'm:1.5'])
      await assert.rejects(h.registry.get(bad), code('TCH_ERR_REGISTRY_NAME_INVALID'), bad);
    assert.deepEqual(
      (await h.registry.list()).map((r) => r.version),
      [1, 2],
    );
  });

  test(`${label} registry: invalid names are refused before anything is written`, async (t) => {
    const h = await openHarness(t, createStore);
    const long = 'a'.repeat(129);
    for (const name of ['', 'Flowers', '-x', '.x', '_x', 'a b', 'a/b', 'a:b', '../x', 'naïve', long]) {
      await assert.rejects(h.registry.register(h.onnx, name), code('TCH_ERR_REGISTRY_NAME_INVALID'), name);
    }
    await h.registry.register(h.onnx, 'a'.repeat(128));
    await h.registry.register(h.onnx, '0.9_x-y');
    assert.equal((await h.registry.list()).length, 2);
  });

  test(`${label} registry: a missing file or a folder is TCH_ERR_IO_NOT_FOUND`, async (t) => {
    const h = await openHarness(t, createStore);
    await assert.rejects(h.registry.register(join(h.dir, 'missing.onnx'), 'm'), code('TCH_ERR_IO_NOT_FOUND'));
    await assert.rejects(h.registry.register(h.dir, 'm'), code('TCH_ERR_IO_NOT_FOUND'));
    await assertNothingRegistered(h);
  });

  test(`${label} registry: corrupt, non-zip and empty artifacts are refused, nothing half-written`, async (t) => {
    const h = await openHarness(t, createStore);
    const files: Record<string, Buffer> = {
      'empty.onnx': Buffer.alloc(0),
      'notes.txt': Buffer.from('just some text, not a model\n'),
      'truncated.zip': readFileSync(h.zip).subarray(0, 200),
      'truncated.onnx': readFileSync(h.onnx).subarray(0, 20),
      'no-manifest.zip': Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const path = join(h.dir, name);
      writeFileSync(path, bytes);
      await assert.rejects(h.registry.register(path, 'm'), (e) => {
        assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_ARTIFACT_INVALID'), `${name}: ${String(e)}`);
        assert.ok(e.message.includes(path), "the message names the user's file, not the staging copy");
        assert.ok(!`${e.message} ${JSON.stringify(e.details)}`.includes('.partial'), e.message);
        if (name.endsWith('.zip'))
          assert.match(String((e.details?.['cause'] as { code?: string })?.code), /^TCH_ERR_SVCDEF_/);
        return true;
      });
    }
    await assertNothingRegistered(h);
    assert.deepEqual(listFiles(h.artifacts), []);
  });

  test(`${label} registry: download is atomic and verified; into a folder it is named <name>-<version>.<ext>`, async (t) => {
    const h = await openHarness(t, createStore);
    const v = await h.registry.register(h.zip, 'm');
    const out = join(h.dir, 'out', 'copy.zip');
    mkdirSync(join(h.dir, 'out'));
    const { path } = await h.registry.download('m', out);
    assert.equal(path, out);
    assert.deepEqual(readFileSync(out), readFileSync(h.zip));
    const intoFolder = await h.registry.download('m:1', join(h.dir, 'out'));
    assert.equal(intoFolder.path, join(h.dir, 'out', 'm-1.zip'));

    // A damaged blob is detected and the existing output is left untouched.
    writeFileSync(out, 'previous content');
    writeFileSync(h.registry.artifactPath(v), 'bit rot');
    await assert.rejects(h.registry.download('m', out), code('TCH_ERR_REGISTRY_STORAGE_FAILED'));
    assert.equal(readFileSync(out, 'utf8'), 'previous content');
    assert.deepEqual(listFiles(join(h.dir, 'out')), ['copy.zip', 'm-1.zip']);
    await assert.rejects(h.registry.download('nope', out), code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
  });

  test(`${label} registry: delete is refused while deployed unless forced; blobs go with their last version`, async (t) => {
    const h = await openHarness(t, createStore);
    const a1 = await h.registry.register(h.onnx, 'a');
    const a2 = await h.registry.register(h.onnx2, 'a');
    await h.registry.register(h.onnx, 'b'); // shares a1's blob
    await h.registry.addDeploymentRef({ deployment: 'web', name: 'a', version: 2 });

    await assert.rejects(h.registry.delete('a', 2), (e) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_IN_USE'));
      assert.match(e.message, /"web"/);
      return true;
    });
    await assert.rejects(h.registry.delete('a'), code('TCH_ERR_REGISTRY_IN_USE'));
    assert.equal((await h.registry.list()).length, 3);

    assert.deepEqual(
      (await h.registry.delete('a:1')).map((r) => r.version),
      [1],
    );
    assert.ok(existsSync(h.registry.artifactPath(a1)), 'b:1 still references the bytes');
    const deleted = await h.registry.delete('a', 2, { force: true });
    assert.deepEqual(
      deleted.map((r) => r.version),
      [2],
    );
    assert.deepEqual(await h.registry.store.deploymentRefs('a'), []);
    assert.ok(!existsSync(h.registry.artifactPath(a2)), 'the last reference is gone, so is the blob');
    await assert.rejects(h.registry.delete('a:2'), code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
    await assert.rejects(h.registry.delete('a'), code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
    assert.equal((await h.registry.register(h.onnx, 'a')).version, 3, 'numbers are not reused');

    // A bare name deletes every version.
    await h.registry.register(h.onnx2, 'b');
    assert.deepEqual(
      (await h.registry.delete('b')).map((r) => r.version),
      [1, 2],
    );
    assert.deepEqual(
      (await h.registry.list()).map((r) => `${r.name}:${r.version}`),
      ['a:3'],
    );
    assert.deepEqual(listFiles(join(h.artifacts, 'blobs', 'sha256')).length, 1);
  });

  test(`${label} registry: tag sets and removes tags of one version`, async (t) => {
    const h = await openHarness(t, createStore);
    await h.registry.register(h.onnx, 'm', { tags: { stage: 'dev', owner: 'ana' } });
    await h.registry.register(h.onnx, 'm');
    const updated = await h.registry.tag('m', 1, { stage: 'prod', 'accuracy.top1': '0.71' }, ['owner']);
    assert.deepEqual({ ...updated.tags }, { 'accuracy.top1': '0.71', stage: 'prod' });
    assert.deepEqual({ ...(await h.registry.tag('m', undefined, { latest: 'yes' })).tags }, { latest: 'yes' });
    assert.deepEqual(
      (await h.registry.list({ tag: { key: 'stage', value: 'prod' } })).map((r) => r.version),
      [1],
    );
    await assert.rejects(h.registry.tag('m', 7, { a: 'b' }), code('TCH_ERR_REGISTRY_MODEL_NOT_FOUND'));
    await assert.rejects(h.registry.tag('m', 1, { '': 'x' }), RangeError);
    await assert.rejects(h.registry.tag('m', 1, { a: 1 as unknown as string }), TypeError);
  });

  test(`${label} registry: an unwritable artifact store is TCH_ERR_REGISTRY_STORAGE_FAILED, nothing half-written`, async (t) => {
    // We may run as root, where chmod does not stop writes: a FILE where the blobs folder belongs makes every
    // mkdir under it fail (ENOTDIR/EEXIST) as a read-only or broken store would.
    const h = await openHarness(t, createStore);
    mkdirSync(h.artifacts, { recursive: true });
    writeFileSync(join(h.artifacts, 'blobs'), 'in the way');
    await assert.rejects(h.registry.register(h.onnx, 'm'), code('TCH_ERR_REGISTRY_STORAGE_FAILED'));
    assert.deepEqual(await h.registry.list(), []);
    assert.deepEqual(await h.registry.store.pendingBlobs(), []);
    assert.equal(readFileSync(join(h.artifacts, 'blobs'), 'utf8'), 'in the way');
  });

  test(`${label} registry: a disk that fills up mid-copy is TCH_ERR_REGISTRY_STORAGE_FAILED, nothing half-written`, async (t) => {
    const { openWritableFile } = await import('../../src/registry/file-io.js');
    let writes = 0;
    const h = await openHarness(t, createStore, {
      openWritable: async (path) => {
        const file = await openWritableFile(path);
        return {
          ...file,
          write: async (data) => {
            writes++;
            // Half the bytes land, then the device is full: the partial staging file must not survive.
            await file.write(data.subarray(0, data.length >> 1));
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
          },
        };
      },
    });
    await assert.rejects(h.registry.register(h.onnx, 'm'), (e) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_REGISTRY_STORAGE_FAILED'));
      assert.match(e.message, /no space left/);
      return true;
    });
    assert.equal(writes, 1);
    await assertNothingRegistered(h);
  });
}
