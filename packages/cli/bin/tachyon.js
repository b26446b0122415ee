#!/usr/bin/env node
// The bin runs the compiled CLI. In a source checkout that was never built, dist/ is missing: say so plainly
// instead of printing Node's ERR_MODULE_NOT_FOUND stack.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'tachyon: the CLI is not built (no dist/src/main.js next to this bin).\n' +
      'In a source checkout run `npm ci && npm run build` at the repository root first; an installed package always ships dist/.\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
