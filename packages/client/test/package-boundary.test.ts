// The client runs anywhere (other services, later browsers): it depends on @tachyon-serve/protocol, undici and grpc-js only.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url); // packages/client/

test('@tachyon-serve/client depends on @tachyon-serve/protocol, undici and the grpc-js libraries only, never on core or server', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}).sort(), [
    '@grpc/grpc-js',
    '@grpc/proto-loader',
    '@tachyon-serve/protocol',
    'undici',
  ]);
  assert.match(pkg.dependencies!['undici']!, /^\^?7\./, 'undici 7 (8 needs Node 22)');
  const server = JSON.parse(readFileSync(new URL('../server/package.json', root), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const name of ['@grpc/grpc-js', '@grpc/proto-loader'])
    assert.equal(pkg.dependencies![name], server.dependencies[name], `${name}: the server's version`);
  let imports = 0;
  for (const file of readdirSync(new URL('src/', root))) {
    const text = readFileSync(new URL(`src/${file}`, root), 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gm)) {
      imports++;
      const allowed = ['@tachyon-serve/protocol', 'undici', '@grpc/grpc-js', '@grpc/proto-loader'];
      assert.ok(
        spec!.startsWith('./') || spec!.startsWith('node:') || allowed.includes(spec!),
        `${file} imports "${spec}"`,
      );
    }
  }
  assert.ok(imports > 10, 'the import scan found the imports');
});
