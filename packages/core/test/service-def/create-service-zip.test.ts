import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import yauzl from 'yauzl';
import {
  createServiceZip,
  extractServiceZip,
  readServiceZip,
  type ServiceManifestDraft,
  type ServiceZipFile,
} from '../../src/service-def/index.js';
import { tempDir } from '@tachyon-serve/test-support';
import { exampleFiles, exampleManifest } from '@tachyon-serve/test-support/service-zip';

function draft(): ServiceManifestDraft {
  const { files: _files, ...rest } = exampleManifest();
  return rest;
}

/** Entry names and DOS mtimes, in zip order. */
function listEntries(path: string): Promise<{ name: string; mtime: Date }[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: false }, (err, zip) => {
      if (err) return reject(err);
      const out: { name: string; mtime: Date }[] = [];
      zip.on('entry', (e: yauzl.Entry) => out.push({ name: e.fileName, mtime: e.getLastModDate() }));
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
    });
  });
}

test('round trip: create -> extract / read gives the same manifest and bytes', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const labels = join(dir, 'labels-source.txt');
  const [labelsFile, ...models] = exampleFiles();
  writeFileSync(labels, labelsFile!.bytes);
  const files: ServiceZipFile[] = [...models, { path: 'labels.txt', sourcePath: labels }];
  const created = await createServiceZip(join(dir, 'nested', 'model_def.zip'), draft(), files);
  assert.deepEqual(created.manifest, exampleManifest());
  const zipBytes = readFileSync(created.path);
  assert.equal(created.size, zipBytes.length);
  assert.equal(created.sha256, createHash('sha256').update(zipBytes).digest('hex'));
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['model_def.zip']);

  const extracted = await extractServiceZip(created.path, join(dir, 'out'));
  assert.deepEqual(extracted.manifest, created.manifest);
  for (const f of exampleFiles()) assert.deepEqual(readFileSync(extracted.files.get(f.path)!), Buffer.from(f.bytes));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'out', 'service.json'), 'utf8')), created.manifest);

  const read = await readServiceZip(created.path);
  assert.deepEqual(read.manifest, created.manifest);
  assert.deepEqual(
    new Map([...read.files].map(([k, v]) => [k, Buffer.from(v)])),
    new Map(exampleFiles().map((f) => [f.path, Buffer.from(f.bytes)])),
  );
});

test('service.json comes first as pretty JSON, files follow sorted by path, every mtime is createdAt', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const created = await createServiceZip(join(dir, 'a.zip'), draft(), [...exampleFiles()].reverse());
  const entries = await listEntries(created.path);
  assert.deepEqual(
    entries.map((e) => e.name),
    ['service.json', 'labels.txt', 'models/resnet50-int8.featurizer.onnx', 'models/resnet50-int8.head.onnx'],
  );
  for (const e of entries) {
    const d = e.mtime; // DOS time read back as local fields
    assert.deepEqual([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()], [2026, 0, 31, 12, 0]);
  }
  const { files } = await readServiceZip(created.path);
  assert.equal(files.size, 3);
  const text = await new Promise<string>((resolve, reject) => {
    yauzl.open(created.path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.once('entry', (e: yauzl.Entry) =>
        zip.openReadStream(e, (err2, s) => {
          if (err2) return reject(err2);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
        }),
      );
      zip.readEntry();
    });
  });
  assert.equal(text, `${JSON.stringify(created.manifest, null, 2)}\n`);
});

test('the same definition gives the same bytes: file order, bytes vs paths, and time zone do not matter', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const a = await createServiceZip(join(dir, 'a.zip'), draft(), exampleFiles());
  const sources = exampleFiles().map((f, i) => {
    const p = join(dir, `src-${i}`);
    writeFileSync(p, f.bytes);
    return { path: f.path, sourcePath: p };
  });
  const b = await createServiceZip(join(dir, 'b.zip'), draft(), sources.reverse());
  const saved = process.env['TZ'];
  process.env['TZ'] = 'Pacific/Kiritimati'; // UTC+14
  let c;
  try {
    c = await createServiceZip(join(dir, 'c.zip'), draft(), exampleFiles());
  } finally {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  }
  assert.equal(b.sha256, a.sha256);
  assert.equal(c.sha256, a.sha256);
  assert.deepEqual(readFileSync(b.path), readFileSync(a.path));
});

test('an existing zip is replaced atomically and no temporary file is left', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const path = join(dir, 'def.zip');
  writeFileSync(path, 'old');
  await createServiceZip(path, draft(), exampleFiles());
  assert.deepEqual(readdirSync(dir), ['def.zip']);
  assert.equal((await readServiceZip(path)).manifest.name, 'resnet50-int8-imagenet');
});

test('an invalid definition is refused before anything is written', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const bad = {
    ...draft(),
    stages: draft().stages.map((s) => (s.kind === 'onnx' ? { ...s, file: 'models/missing.onnx' } : s)),
  };
  await assert.rejects(createServiceZip(join(dir, 'x.zip'), bad, exampleFiles()), (err: unknown) => {
    assert.ok(isTachyonError(err, 'TCH_ERR_SVCDEF_INVALID'));
    assert.match(err.message, /missing file 'models\/missing\.onnx'/);
    return true;
  });
  await assert.rejects(
    createServiceZip(join(dir, 'x.zip'), draft(), [
      ...exampleFiles(),
      { path: '../escape.bin', bytes: new Uint8Array(1) },
    ]),
    (err: unknown) => isTachyonError(err, 'TCH_ERR_SVCDEF_INVALID'),
  );
  await assert.rejects(
    createServiceZip(join(dir, 'x.zip'), draft(), [...exampleFiles(), exampleFiles()[0]!]),
    /duplicate file 'labels\.txt'/,
  );
  await assert.rejects(
    createServiceZip(join(dir, 'x.zip'), draft(), [
      ...exampleFiles().slice(1),
      { path: 'labels.txt', sourcePath: join(dir, 'nope.txt') },
    ]),
    (err: unknown) => isTachyonError(err, 'TCH_ERR_IO_NOT_FOUND'),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('misuse throws TypeError/RangeError naming the argument', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const path = join(dir, 'x.zip');
  await assert.rejects(createServiceZip('', draft(), []), /path must be/);
  await assert.rejects(createServiceZip(path, null as never, []), /manifest must be an object/);
  await assert.rejects(createServiceZip(path, draft(), {} as never), /files must be an array/);
  await assert.rejects(
    createServiceZip(path, draft(), [{ path: 'a' } as never]),
    /files\[0\] must have exactly one of bytes and sourcePath/,
  );
  await assert.rejects(createServiceZip(path, draft(), [{ path: 'a', bytes: 'x' } as never]), TypeError);
  await assert.rejects(createServiceZip(path, draft(), exampleFiles(), { compressionLevel: 10 }), RangeError);
  assert.equal(existsSync(path), false);
});

test('compressionLevel 0 stores the files and still round-trips', async (t) => {
  const dir = tempDir(t, 'tachyon-svczip-');
  const created = await createServiceZip(join(dir, 'stored.zip'), draft(), exampleFiles(), { compressionLevel: 0 });
  const { files } = await readServiceZip(created.path);
  assert.deepEqual(Buffer.from(files.get('labels.txt')!), Buffer.from(exampleFiles()[0]!.bytes));
});
