// Runs node:test over every compiled test file of every package (Node 20's --test takes no globs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = [
  ...readdirSync('packages').map((p) => join('packages', p, 'dist', 'test')),
  join('test', 'e2e', 'dist'),
  join('test', 'reliability', 'dist', 'test'),
  join('bench', 'dist', 'test'),
];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
for (const root of roots) {
  try {
    walk(root);
  } catch {
    // a package without tests yet
  }
}
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', ...process.argv.slice(2), ...files.sort()], { stdio: 'inherit' });
process.exit(result.status ?? 1);
