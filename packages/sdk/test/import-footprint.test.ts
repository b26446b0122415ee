// What `import 'tachyon-serve'` loads: the SDK reaches @tachyon-serve/server (fastify, grpc-js, OpenTelemetry) only lazily, when
// it must start a daemon, so `npm i tachyon-serve` users who only run models locally or call services never load them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { test, type TestContext } from 'node:test';

const run = promisify(execFile);

/** Server-side modules: any of these in what an import loaded is a failure for the SDK. */
const FORBIDDEN: Readonly<Record<string, RegExp>> = Object.freeze({
  fastify: /\/node_modules\/(?:fastify|@fastify\/[^/]+)\//,
  'grpc-js': /\/node_modules\/@grpc\/grpc-js\//,
  opentelemetry: /\/node_modules\/@opentelemetry\//,
  '@tachyon-serve/server': /\/packages\/server\/|\/node_modules\/@tachyon\/server\//,
});

// An ESM resolve hook (module.register, in the loader thread) logs every URL an `import` resolves to; CommonJS
// `require`s inside CJS packages bypass it on Node 20, so the child also logs require.cache (fastify, grpc-js and
// their dependencies are CommonJS). Together they see every module the import loaded.
const HOOKS = `import { appendFileSync } from 'node:fs';
let log;
export async function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\n');
  return result;
}
`;
const REGISTER = `import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url), { data: { log: process.env.FOOTPRINT_LOG } });
`;
const MAIN = `import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
await import(process.env.FOOTPRINT_TARGET);
const cached = Object.keys(createRequire(import.meta.url).cache).map((f) => pathToFileURL(f).href);
appendFileSync(process.env.FOOTPRINT_LOG, cached.join('\\n') + '\\n');
process.exit(0);
`;

/** The SDK's package name, from its package.json (scripts/rename-packages.mjs renames it). */
const SDK_NAME = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string })
  .name;

/** The URLs of every module that `import(specifier)` loads in a fresh Node process, forward slashes. */
async function loadedBy(t: TestContext, specifier: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-footprint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), REGISTER);
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  await run(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', MAIN],
    {
      env: { ...process.env, FOOTPRINT_LOG: log, FOOTPRINT_TARGET: import.meta.resolve(specifier) },
      timeout: 120_000,
    },
  );
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/\\/g, '/'));
}

function offenders(loaded: readonly string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [name, pattern] of Object.entries(FORBIDDEN)) {
    const hits = loaded.filter((url) => pattern.test(url));
    if (hits.length > 0) found[name] = hits.slice(0, 3);
  }
  return found;
}

test('importing the SDK loads no fastify, grpc-js, OpenTelemetry or @tachyon-serve/server; importing @tachyon-serve/server does', async (t) => {
  const [sdk, server] = await Promise.all([loadedBy(t, SDK_NAME), loadedBy(t, '@tachyon-serve/server')]);
  // The probe sees the SDK's own graph (ESM hook) and CommonJS dependencies (require.cache) ...
  assert.ok(
    sdk.some((url) => /\/packages\/sdk\/dist\/src\/index\.js$/.test(url)),
    'the resolve hook saw the SDK itself',
  );
  assert.ok(
    sdk.some((url) => /\/packages\/core\/dist\/src\//.test(url)),
    'the SDK loads core',
  );
  assert.ok(
    sdk.some((url) => /\/packages\/client\/dist\/src\//.test(url)),
    'the SDK loads the client',
  );
  assert.ok(
    sdk.some((url) => /\/node_modules\/.+\.c?js$/.test(url) && !url.startsWith('node:')),
    'CommonJS dependencies are seen',
  );
  assert.deepEqual(offenders(sdk), {}, 'modules the SDK must not load on import');
  // ... and the same probe does catch every forbidden module when they are loaded (the check can fail).
  assert.deepEqual(
    Object.keys(offenders(server)).sort(),
    Object.keys(FORBIDDEN).sort(),
    'the probe finds the server-side modules',
  );
});
