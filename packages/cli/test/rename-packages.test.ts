import { test } from 'node:test';
import assert from 'node:assert/strict';

// scripts/rename-packages.mjs (issue 16): the rewrite rules, and that a second run changes nothing.
const script = new URL('../../../../scripts/rename-packages.mjs', import.meta.url).href;
const { renameText } = (await import(script)) as { renameText: (path: string, text: string) => string };

// The old names are built at run time, so that running the script over this repository leaves this test's input alone.
const T = ['tach', 'yon'].join('');
const SCOPE = `@${T}/`;

test('rename-packages: scoped names, the SDK import, install commands and manifests; idempotent; the bin and prose stay', () => {
  const ts = [
    `import { TachyonError } from '${SCOPE}protocol';`,
    `import type { Model } from '${T}';`,
    `const sdk = await import('${T}');`,
    `type Sdk = typeof import('${T}');`,
    "const program = new Command('tachyon');",
    `// \`npm i ${T}\` users; the tachyon command`,
  ].join('\n');
  const out = renameText('packages/cli/src/x.ts', ts);
  assert.equal(
    out,
    [
      "import { TachyonError } from '@tachyon-serve/protocol';",
      "import type { Model } from 'tachyon-serve';",
      "const sdk = await import('tachyon-serve');",
      "type Sdk = typeof import('tachyon-serve');",
      "const program = new Command('tachyon');",
      '// `npm i tachyon-serve` users; the tachyon command',
    ].join('\n'),
  );
  assert.equal(renameText('packages/cli/src/x.ts', out), out, 'idempotent');

  const manifest = JSON.stringify({
    name: T,
    bin: { tachyon: 'bin/tachyon.js' },
    dependencies: { [T]: '0.1.0', [`${SCOPE}core`]: '0.1.0', commander: '14' },
  });
  const renamed = JSON.parse(renameText('packages/sdk/package.json', manifest)) as {
    name: string;
    bin: object;
    dependencies: object;
  };
  assert.equal(renamed.name, 'tachyon-serve');
  assert.deepEqual(renamed.bin, { tachyon: 'bin/tachyon.js' });
  assert.deepEqual(renamed.dependencies, { '@tachyon-serve/core': '0.1.0', commander: '14', 'tachyon-serve': '0.1.0' });
  const again = renameText('packages/sdk/package.json', renameText('packages/sdk/package.json', manifest));
  assert.equal(again, renameText('packages/sdk/package.json', manifest));

  const md = `npm run build -w ${SCOPE}dashboard\nstill says \`${SCOPE}\` <!-- rename:keep -->\n`;
  assert.equal(
    renameText('README.md', md),
    `npm run build -w @tachyon-serve/dashboard\nstill says \`${SCOPE}\` <!-- rename:keep -->\n`,
  );
});
