import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isTachyonError, type ErrorCode } from '@tachyon-serve/protocol';
import { extractServiceZip, readServiceZip, type ZipLimits } from '../../src/service-def/index.js';
import {
  buildRawZip,
  exampleFiles,
  exampleManifest,
  fileEntry,
  type RawZipEntry,
} from '@tachyon-serve/test-support/service-zip';

interface Sandbox {
  root: string;
  dest: string;
  zip(entries: readonly RawZipEntry[]): string;
}

/** root/zips holds the zip, root/out/def is the extraction target: after a failure root/out must be empty. */
function sandbox(t: TestContext): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'tachyon-svcdef-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'zips'));
  mkdirSync(join(root, 'out'));
  let n = 0;
  return {
    root,
    dest: join(root, 'out', 'def'),
    zip(entries) {
      const path = join(root, 'zips', `${n++}.zip`);
      writeFileSync(path, buildRawZip(entries));
      return path;
    },
  };
}

/** service.json + the example files, as raw zip entries; `extra` entries are appended, `manifest` edits apply first. */
function exampleEntries(
  extra: readonly RawZipEntry[] = [],
  edit?: (m: ReturnType<typeof exampleManifest>) => void,
): RawZipEntry[] {
  const manifest = exampleManifest();
  edit?.(manifest);
  return [
    { name: 'service.json', data: Buffer.from(JSON.stringify(manifest)) },
    ...exampleFiles().map((f) => ({ name: f.path, data: f.bytes, method: 8 as const })),
    ...extra,
  ];
}

function assertNothingWritten(box: Sandbox): void {
  assert.deepEqual(readdirSync(join(box.root, 'out')), []);
  assert.deepEqual(readdirSync(box.root).sort(), ['out', 'zips']);
}

async function rejectsWith(box: Sandbox, zipPath: string, code: ErrorCode, fragments: string[], limits?: ZipLimits) {
  await assert.rejects(extractServiceZip(zipPath, box.dest, limits), (err: unknown) => {
    assert.ok(isTachyonError(err), String(err));
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `'${f}' not in: ${err.message}`);
    return true;
  });
  assertNothingWritten(box);
  // The in-memory reader applies the same checks.
  await assert.rejects(readServiceZip(zipPath, limits), (err: unknown) => isTachyonError(err, code));
}

test('a valid zip (with directory entries, as zip tools write them) extracts to exactly its files', async (t) => {
  const box = sandbox(t);
  const zipPath = box.zip([{ name: 'models/', externalFileAttributes: (0o040755 << 16) >>> 0 }, ...exampleEntries()]);
  const out = await extractServiceZip(zipPath, box.dest);
  assert.deepEqual(out.manifest, exampleManifest());
  assert.equal(out.dir, box.dest);
  for (const file of exampleFiles()) assert.deepEqual(readFileSync(out.files.get(file.path)!), Buffer.from(file.bytes));
  assert.deepEqual(readdirSync(box.dest).sort(), ['labels.txt', 'models', 'service.json']);
  const inMemory = await readServiceZip(zipPath);
  assert.deepEqual(inMemory.manifest, exampleManifest());
  assert.deepEqual(
    [...inMemory.files.keys()].sort(),
    exampleFiles()
      .map((f) => f.path)
      .sort(),
  );
});

for (const [label, name] of [
  ["a '..' entry", `../evil-${randomBytes(4).toString('hex')}`],
  ["a '..' in the middle", 'models/../../evil.onnx'],
  ['an absolute path', `/tmp/tachyon-abs-${randomBytes(4).toString('hex')}`],
  ['a drive letter', 'C:/evil.onnx'],
  ['a backslash path', 'models\\..\\..\\evil.onnx'],
  ["a '.' segment", './labels.txt'],
] as const) {
  test(`${label} is refused as unsafe and nothing is written`, async (t) => {
    const box = sandbox(t);
    await rejectsWith(
      box,
      box.zip(exampleEntries([{ name, data: Buffer.from('pwned') }])),
      'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE',
      [name],
    );
    if (name.startsWith('/')) assert.equal(existsSync(name), false);
  });
}

test('a symlink entry is refused (unix mode S_IFLNK in the external attributes)', async (t) => {
  const box = sandbox(t);
  const link = {
    name: 'models/link.onnx',
    data: Buffer.from('/etc/passwd'),
    externalFileAttributes: (0o120777 << 16) >>> 0,
  };
  await rejectsWith(box, box.zip(exampleEntries([link])), 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE', [
    "'models/link.onnx' is a symbolic link",
  ]);
});

test('a duplicate entry name is refused', async (t) => {
  const box = sandbox(t);
  const twice = { name: 'labels.txt', data: Buffer.from('other labels\n') };
  await rejectsWith(box, box.zip(exampleEntries([twice])), 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE', [
    "'labels.txt' is a duplicate name",
  ]);
});

test('encrypted entries and unknown compression methods are refused', async (t) => {
  const box = sandbox(t);
  const zip = buildRawZip(exampleEntries());
  // Patch the central directory record of the last entry: method 12 (bzip2).
  const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt16LE(12, cd + 10);
  const path = join(box.root, 'zips', 'bzip2.zip');
  writeFileSync(path, zip);
  await rejectsWith(box, path, 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE', ['compression method 12']);
});

test('every unsafe entry is reported at once', async (t) => {
  const box = sandbox(t);
  const bad = [
    { name: '../a', data: Buffer.from('x') },
    { name: '/b', data: Buffer.from('x') },
    { name: 'c', data: Buffer.from('x'), externalFileAttributes: (0o120777 << 16) >>> 0 },
  ];
  await assert.rejects(extractServiceZip(box.zip(exampleEntries(bad)), box.dest), (err: unknown) => {
    assert.ok(isTachyonError(err, 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE'));
    assert.match(err.message, /^The zip has 3 issues: /);
    assert.deepEqual(
      (err.details?.['issues'] as { path: string }[]).map((i) => i.path),
      ['../a', '/b', 'c'],
    );
    return true;
  });
  assertNothingWritten(box);
});

test('a file the manifest does not list is refused, and so is a listed file the zip lacks', async (t) => {
  const box = sandbox(t);
  await rejectsWith(
    box,
    box.zip(exampleEntries([{ name: 'extra.bin', data: Buffer.from('x') }])),
    'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE',
    ["'extra.bin' is not listed in service.json files"],
  );
  const withoutHead = exampleEntries().filter((e) => e.name !== 'models/resnet50-int8.head.onnx');
  await rejectsWith(box, box.zip(withoutHead), 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE', [
    "'models/resnet50-int8.head.onnx' is listed in service.json files but missing",
  ]);
});

test('a sha256 or size that differs from the manifest is refused after streaming, and the partial extraction removed', async (t) => {
  const box = sandbox(t);
  const tampered = exampleEntries().map((e) =>
    e.name === 'models/resnet50-int8.head.onnx' ? { ...e, data: Buffer.from('not really onnx: HEAD') } : e,
  );
  await rejectsWith(box, box.zip(tampered), 'TCH_ERR_SVCDEF_CHECKSUM_MISMATCH', [
    "'models/resnet50-int8.head.onnx'",
    'sha256',
  ]);
  const resized = exampleEntries([], (m) => {
    m.files[0] = { ...m.files[0]!, size: m.files[0]!.size + 1 };
  });
  await rejectsWith(box, box.zip(resized), 'TCH_ERR_SVCDEF_CHECKSUM_MISMATCH', [
    "'labels.txt' has 33 bytes in the zip, not the 34",
  ]);
});

test('an entry whose header lies about its size is stopped while it inflates', async (t) => {
  const box = sandbox(t);
  const real = Buffer.alloc(10_000, 7);
  const claimed = real.subarray(0, 100);
  const entries = exampleEntries([{ name: 'weights.bin', data: real, method: 8, declaredSize: 100 }], (m) => {
    m.files.push(fileEntry('weights.bin', claimed));
  });
  await rejectsWith(box, box.zip(entries), 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', [
    "'weights.bin' inflates past its declared",
  ]);
});

test('a zip bomb is refused from its declared ratio before anything is inflated', async (t) => {
  const box = sandbox(t);
  const zeros = Buffer.alloc(50 * 1024 * 1024);
  const entries = exampleEntries([{ name: 'bomb.bin', data: zeros, method: 8 }], (m) => {
    m.files.push(fileEntry('bomb.bin', zeros));
  });
  await rejectsWith(box, box.zip(entries), 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', [
    "'bomb.bin' expands from",
    '200:1 compression ratio',
  ]);
});

test('a zip bomb hiding behind a small declared size is stopped at the declared size', async (t) => {
  const box = sandbox(t);
  const zeros = Buffer.alloc(50 * 1024 * 1024);
  const declared = 1024 * 1024; // at the ratio threshold, so the declared sizes pass
  const entries = exampleEntries([{ name: 'bomb.bin', data: zeros, method: 8, declaredSize: declared }], (m) => {
    m.files.push(fileEntry('bomb.bin', zeros.subarray(0, declared)));
  });
  await rejectsWith(box, box.zip(entries), 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', [
    "'bomb.bin' inflates past its declared",
  ]);
});

test('too many entries is refused from the end record, before any entry is read', async (t) => {
  const box = sandbox(t);
  const many = Array.from({ length: 1000 }, (_, i) => ({ name: `f/${i}.txt`, data: Buffer.from('x') }));
  await rejectsWith(box, box.zip(exampleEntries(many)), 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', [
    '1004 entries; at most 1000',
  ]);
  await rejectsWith(box, box.zip(exampleEntries()), 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', ['4 entries; at most 3'], {
    maxEntries: 3,
  });
});

test('the total size and service.json size caps apply', async (t) => {
  const box = sandbox(t);
  await rejectsWith(
    box,
    box.zip(exampleEntries()),
    'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE',
    ['more than 1000 uncompressed bytes'],
    { maxTotalBytes: 1000 },
  );
  await rejectsWith(box, box.zip(exampleEntries()), 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', ["'service.json' has"], {
    maxManifestBytes: 100,
  });
});

test('a zip without service.json, with a broken one, or not a zip at all is an invalid definition', async (t) => {
  const box = sandbox(t);
  await rejectsWith(box, box.zip(exampleEntries().slice(1)), 'TCH_ERR_SVCDEF_INVALID', ["no 'service.json'"]);
  await rejectsWith(
    box,
    box.zip([{ name: 'service.json', data: Buffer.from('{ "schemaVersion": 1,') }]),
    'TCH_ERR_SVCDEF_INVALID',
    ['not valid JSON'],
  );
  const notZip = join(box.root, 'zips', 'not.zip');
  writeFileSync(notZip, 'PK? not a zip at all');
  await rejectsWith(box, notZip, 'TCH_ERR_SVCDEF_INVALID', ['not a readable zip archive']);
  const v2 = exampleEntries([], (m) => Object.assign(m, { schemaVersion: 2 }));
  await rejectsWith(box, box.zip(v2), 'TCH_ERR_SVCDEF_UNSUPPORTED_VERSION', ['schemaVersion 2']);
});

test('a missing zip is TCH_ERR_IO_NOT_FOUND', async (t) => {
  const box = sandbox(t);
  await assert.rejects(extractServiceZip(join(box.root, 'zips', 'none.zip'), box.dest), (err: unknown) =>
    isTachyonError(err, 'TCH_ERR_IO_NOT_FOUND'),
  );
  assertNothingWritten(box);
});

test('destDir may exist empty (it is then emptied, not removed, on failure) but not hold anything', async (t) => {
  const box = sandbox(t);
  mkdirSync(box.dest);
  await assert.rejects(extractServiceZip(box.zip(exampleEntries([{ name: 'x', data: Buffer.from('x') }])), box.dest));
  assert.deepEqual(readdirSync(box.dest), []);
  const ok = await extractServiceZip(box.zip(exampleEntries()), box.dest);
  assert.equal(ok.files.size, 3);
  await assert.rejects(extractServiceZip(box.zip(exampleEntries()), box.dest), /RangeError|must not exist or be empty/);
  await assert.rejects(extractServiceZip(box.zip(exampleEntries()), box.dest, { maxEntries: 0 }), RangeError);
  await assert.rejects(extractServiceZip('', box.dest), TypeError);
});
