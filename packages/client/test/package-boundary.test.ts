// The client runs anywhere (other services, later browsers): it depends on @tachyon/protocol and undici only.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url); // packages/client/

test('@tachyon/client depends on @tachyon/protocol and undici only, never on core or server', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { dependencies?: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}).sort(), ['@tachyon/protocol', 'undici']);
  assert.match(pkg.dependencies!['undici']!, /^\^?7\./, 'undici 7 (8 needs Node 22)');
  let imports = 0;
  for (const file of readdirSync(new URL('src/', root))) {
    const text = readFileSync(new URL(`src/${file}`, root), 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)\b[^;]*?from '([^']+)'/gm)) {
      imports++;
      assert.ok(spec!.startsWith('./') || spec!.startsWith('node:') || spec === '@tachyon/protocol' || spec === 'undici', `${file} imports "${spec}"`);
    }
  }
  assert.ok(imports > 10, 'the import scan found the imports');
});
