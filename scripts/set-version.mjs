#!/usr/bin/env node
// Versions come from one place: the root package.json's "version". This script writes it into every workspace
// package and into every dependency one workspace package has on another (exact pins, so a set of tarballs always
// installs together). Usage: node scripts/set-version.mjs [NEW_VERSION]  (with an argument it first sets the root's).
// Idempotent; `npm run version:set -- 0.2.0` is the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const write = (file, json) => writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);

const rootFile = join(root, 'package.json');
const rootManifest = read(rootFile);
const wanted = process.argv[2];
if (wanted !== undefined) {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(wanted)) {
    process.stderr.write(`set-version: not a semver version: ${wanted}\n`);
    process.exit(2);
  }
  rootManifest.version = wanted;
  write(rootFile, rootManifest);
}
const version = rootManifest.version;
const files = rootManifest.workspaces.map((ws) => join(root, ws, 'package.json'));
const names = new Set(files.map((file) => read(file).name));
let changed = 0;
for (const file of files) {
  const manifest = read(file);
  const before = JSON.stringify(manifest);
  manifest.version = version;
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const dep of Object.keys(manifest[field] ?? {})) if (names.has(dep)) manifest[field][dep] = version;
  }
  if (JSON.stringify(manifest) !== before) {
    write(file, manifest);
    changed += 1;
  }
}
process.stdout.write(`set-version: ${version} in ${files.length} packages (${changed} changed)\n`);
