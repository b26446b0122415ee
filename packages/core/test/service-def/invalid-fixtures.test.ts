import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { parseLabels } from '../../src/labels/imagenet-labels.js';
import {
  extractServiceZip,
  validateManifestSemantics,
  validateServiceManifest,
  type SemanticContext,
  type StageIo,
} from '../../src/service-def/index.js';
import { REPO_ROOT } from '@tachyon-serve/test-support';
import { buildRawZip } from '@tachyon-serve/test-support/service-zip';

/**
 * Each folder of fixtures/invalid is one case: service.json, expected.json { code, messageIncludes, issuePaths? },
 * optionally io.json (stage name -> the real ports { inputs, outputs } of its model) and the files of the
 * definition. A folder with files is zipped and goes through extractServiceZip and then the io pass; a folder
 * without is validated as a manifest (both passes, with io.json when present).
 */
const FIXTURES = join(REPO_ROOT, 'packages', 'core', 'test', 'service-def', 'fixtures', 'invalid');
const CASE_FILES = new Set(['service.json', 'expected.json', 'io.json']);

interface Expected {
  code: string;
  messageIncludes: string[];
  issuePaths?: string[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out.sort();
}

function contextFrom(io: Record<string, StageIo> | undefined, labelCounts?: Map<string, number>): SemanticContext {
  return {
    ...(io === undefined ? {} : { io: (stage) => io[stage.name] }),
    ...(labelCounts === undefined ? {} : { labelCounts }),
  };
}

async function runCase(dir: string, t: { after: (fn: () => Promise<void>) => void }): Promise<void> {
  const manifestText = await readFile(join(dir, 'service.json'), 'utf8');
  const ioText = await readFile(join(dir, 'io.json'), 'utf8').catch(() => undefined);
  const io = ioText === undefined ? undefined : (JSON.parse(ioText) as Record<string, StageIo>);
  const files = (await listFiles(dir))
    .map((p) => relative(dir, p).split(sep).join('/'))
    .filter((p) => !CASE_FILES.has(p));
  if (files.length === 0) {
    validateServiceManifest(JSON.parse(manifestText), contextFrom(io));
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'tachyon-fixture-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const entries = [{ name: 'service.json', data: Buffer.from(manifestText) }];
  for (const file of files) entries.push({ name: file, data: await readFile(join(dir, ...file.split('/'))) });
  const zipPath = join(work, 'def.zip');
  await writeFile(zipPath, buildRawZip(entries));
  const dest = join(work, 'out', 'def');
  let extracted;
  try {
    extracted = await extractServiceZip(zipPath, dest);
  } catch (err) {
    // A failed extraction leaves nothing behind: its folder is gone and nothing was written beside it.
    assert.deepEqual(await readdir(join(work, 'out')), []);
    throw err;
  }
  const labelCounts = new Map<string, number>();
  for (const stage of extracted.manifest.stages) {
    if (stage.kind === 'classifier')
      labelCounts.set(stage.labels, parseLabels(await readFile(extracted.files.get(stage.labels)!, 'utf8')).length);
  }
  validateManifestSemantics(extracted.manifest, contextFrom(io, labelCounts));
}

const cases = (await readdir(FIXTURES, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test('there are invalid fixtures to run', () => {
  assert.ok(cases.length >= 11, `only ${cases.length} cases under ${FIXTURES}`);
});

for (const name of cases) {
  test(`invalid fixture '${name}' is rejected with its code and message`, async (t) => {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Expected;
    await assert.rejects(
      () => runCase(dir, t),
      (err: unknown) => {
        assert.ok(isTachyonError(err), `not a TachyonError: ${String(err)}`);
        assert.equal(err.code, expected.code, err.message);
        const issues = (err.details?.['issues'] ?? []) as { path: string; message: string }[];
        const text = [err.message, ...issues.map((i) => `${i.path}: ${i.message}`)].join('\n');
        for (const fragment of expected.messageIncludes)
          assert.ok(text.includes(fragment), `missing '${fragment}' in:\n${text}`);
        if (expected.issuePaths !== undefined)
          assert.deepEqual(issues.map((i) => i.path).sort(), [...expected.issuePaths].sort());
        return true;
      },
    );
  });
}
