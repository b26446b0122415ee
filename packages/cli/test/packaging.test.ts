import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = fileURLToPath(new URL('../../', import.meta.url));
const repoRoot = join(cliRoot, '..', '..');
const bin = join(cliRoot, 'bin', 'tachyon.js');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  engines?: { node?: string };
  repository?: { directory?: string };
  exports?: unknown;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}
const readJson = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

test('tachyon --version prints the version of the CLI package.json', () => {
  const run = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), readJson(join(cliRoot, 'package.json')).version);
});

test('the bin without a build says what to do instead of an ERR_MODULE_NOT_FOUND stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-nobuild-'));
  try {
    mkdirSync(join(dir, 'bin'));
    copyFileSync(bin, join(dir, 'bin', 'tachyon.js'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const run = spawnSync(process.execPath, [join(dir, 'bin', 'tachyon.js'), '--version'], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /not built/);
    assert.match(run.stderr, /npm run build/);
    assert.doesNotMatch(run.stderr, /ERR_MODULE_NOT_FOUND|at \w+ \(/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every workspace package is publishable: license, files without tests, repository, engines, exports, README, one version', () => {
  const root = readJson(join(repoRoot, 'package.json'));
  assert.ok(existsSync(join(repoRoot, 'LICENSE')));
  const names = new Set<string>();
  // packages/test-support is the one private, dev-only workspace (shared test helpers): it is never published.
  const packages = (root as unknown as { workspaces: string[] }).workspaces.filter(
    (ws) => ws.startsWith('packages/') && ws !== 'packages/test-support',
  );
  assert.equal(packages.length, 7);
  assert.equal(readJson(join(repoRoot, 'packages/test-support/package.json')).private, true);
  for (const ws of packages) {
    const dir = join(repoRoot, ws);
    const manifest = readJson(join(dir, 'package.json'));
    names.add(manifest.name);
    assert.notEqual(manifest.private, true, `${ws} is private`);
    assert.equal(manifest.license, 'Apache-2.0', ws);
    assert.ok(existsSync(join(dir, 'LICENSE')), `${ws}/LICENSE`);
    assert.ok(existsSync(join(dir, 'README.md')), `${ws}/README.md`);
    assert.equal(manifest.version, root.version, `${ws} version comes from the root`);
    assert.equal(manifest.repository?.directory, ws);
    assert.ok(manifest.engines?.node, `${ws} engines`);
    assert.ok(manifest.exports, `${ws} exports`);
    assert.ok(manifest.scripts?.prepack, `${ws} prepack builds`);
    assert.ok(manifest.files && manifest.files.length > 0, `${ws} files`);
    for (const entry of manifest.files) {
      assert.doesNotMatch(entry, /(^|\/)test|fixture/, `${ws} files lists ${entry}`);
      assert.notEqual(entry, 'dist', `${ws} files must name dist/src, not dist (dist/test holds compiled tests)`);
    }
  }
  for (const ws of packages) {
    const manifest = readJson(join(repoRoot, ws, 'package.json'));
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (names.has(dep)) assert.equal(range, root.version, `${ws} -> ${dep} pinned to the one version`);
    }
  }
});
