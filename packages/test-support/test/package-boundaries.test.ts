// The package boundaries of ARCHITECTURE.md are enforced by `npm run lint` (Biome's noRestrictedImports, one override
// per folder in biome.json). This runs the repository's own biome.json over probe files laid out like the repository
// in a temp folder: a forbidden crossing is refused with its message, an allowed one passes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO_ROOT } from '../src/shared-data.js';
import { tempDir } from '../src/temp-dir.js';

const BIOME = join(REPO_ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');

/** Lints `source` as the file `path` (relative to the repository root) under the repository's biome.json. */
function lintAs(t: TestContext, path: string, source: string): { ok: boolean; output: string } {
  const root = tempDir(t, 'tachyon-lint-');
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  // The probe folder is no git work tree; the rules and overrides are the repository's, unchanged.
  delete config['vcs'];
  delete config['$schema'];
  writeFileSync(join(root, 'biome.json'), JSON.stringify(config));
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), source);
  const r = spawnSync(process.execPath, [BIOME, 'lint', '--error-on-warnings', path], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

const forbidden: [string, string, RegExp][] = [
  ['packages/core/src/probe.ts', 'fastify', /core never imports fastify or grpc/],
  ['packages/core/src/probe.ts', '@grpc/grpc-js', /core never imports fastify or grpc/],
  ['packages/core/src/probe.ts', '@tachyon-serve/server', /core is the engine/],
  ['packages/core/test/probe.ts', 'fastify', /core never imports fastify or grpc/],
  ['packages/client/src/probe.ts', '@tachyon-serve/core', /client depends on @tachyon-serve\/protocol only/],
  ['packages/protocol/src/probe.ts', '@tachyon-serve/core', /protocol is the wire contract only/],
  ['packages/dashboard/src/probe.ts', '@tachyon-serve/core', /the dashboard never imports the engine/],
  ['packages/server/src/probe.ts', '@tachyon-serve/test-support', /test-support is dev only/],
];

for (const [path, module, message] of forbidden) {
  test(`lint refuses ${path} importing ${module}`, (t) => {
    const { ok, output } = lintAs(t, path, `import * as m from '${module}';\nexport const probe = m;\n`);
    assert.equal(ok, false, output);
    assert.match(output, /noRestrictedImports/);
    assert.match(output, message);
  });
}

const allowed: [string, string][] = [
  ['packages/server/src/probe.ts', 'fastify'],
  ['packages/core/src/probe.ts', '@tachyon-serve/protocol'],
  ['packages/client/src/probe.ts', '@tachyon-serve/protocol'],
  ['packages/core/test/probe.ts', '@tachyon-serve/test-support'],
];

for (const [path, module] of allowed) {
  test(`lint accepts ${path} importing ${module}`, (t) => {
    const { ok, output } = lintAs(t, path, `import * as m from '${module}';\nexport const probe = m;\n`);
    assert.equal(ok, true, output);
  });
}

test('the format check of `npm run lint` refuses unformatted code and passes formatted code', (t) => {
  const root = tempDir(t, 'tachyon-format-');
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  delete config['vcs'];
  delete config['$schema'];
  writeFileSync(join(root, 'biome.json'), JSON.stringify(config));
  mkdirSync(join(root, 'packages/core/src'), { recursive: true });
  const check = (source: string) => {
    writeFileSync(join(root, 'packages/core/src/probe.ts'), source);
    return spawnSync(process.execPath, [BIOME, 'format', 'packages/core/src/probe.ts'], {
      cwd: root,
      encoding: 'utf8',
    });
  };
  const bad = check('export const probe   =  { a:1,b : "two" }\n');
  assert.notEqual(bad.status, 0, `${bad.stdout}${bad.stderr}`);
  const good = check("export const probe = { a: 1, b: 'two' };\n");
  assert.equal(good.status, 0, `${good.stdout}${good.stderr}`);
});
