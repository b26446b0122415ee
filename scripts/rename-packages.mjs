#!/usr/bin/env node
// Renames the packages to names this project owns on the npm registry (issue 16):
//   @tachyon/<x>  ->  @tachyon-serve/<x>     (the libraries, the CLI, the dashboard, the bench)
//   tachyon       ->  tachyon-serve           (the SDK; the CLI's bin stays `tachyon`)
// `tachyon` on the registry is an unrelated file watcher and the `@tachyon` scope belongs to someone else.
//
// It rewrites package.json names and dependencies, import specifiers in .ts/.tsx/.mts/.js/.mjs/.cjs sources,
// package.json scripts, tsconfig files, and docs/READMEs (code lines naming the packages), then package-lock.json
// and the workspace links in node_modules (`npm install --offline --ignore-scripts`, skipped with --no-install).
// Idempotent: a second run changes nothing, so run it again after merging work that still says @tachyon/.
//   node scripts/rename-packages.mjs [--dry-run] [--no-install]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const OLD_SCOPE = '@tachyon/';
const NEW_SCOPE = '@tachyon-serve/';
const OLD_SDK = 'tachyon';
const NEW_SDK = 'tachyon-serve';

const root = fileURLToPath(new URL('..', import.meta.url));
const dryRun = process.argv.includes('--dry-run');
const install = !process.argv.includes('--no-install') && !dryRun;

const TEXT = /\.(ts|tsx|mts|cts|js|mjs|cjs|md|json|yaml|yml|html|sh|txt)$|(^|\/)Dockerfile$/;
const SKIP = /(^|\/)(node_modules|dist|bench\/results)(\/|$)|^package-lock\.json$|^scripts\/rename-packages\.mjs$/;

/** The SDK's bare name, only where it is a module specifier or an install argument (never the command or prose). */
function renameSdk(text) {
  return text
    .replace(
      /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\.resolve\s*\(\s*)(['"])tachyon(\/[^'"]*)?\2/g,
      (_m, lead, q, sub = '') => `${lead}${q}${NEW_SDK}${sub}${q}`,
    )
    .replace(/\b(npm (?:i|install|add)(?: -[-\w]+)*) tachyon(?![-\w/.])/g, `$1 ${NEW_SDK}`);
}

function renameManifest(text) {
  const manifest = JSON.parse(text);
  if (manifest.name === OLD_SDK) manifest.name = NEW_SDK;
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    const deps = manifest[field];
    if (!deps || !(OLD_SDK in deps)) continue;
    manifest[field] = Object.fromEntries(
      Object.entries(deps)
        .map(([k, v]) => [k === OLD_SDK ? NEW_SDK : k, v])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** A line holding `rename:keep` (e.g. `<!-- rename:keep -->` in Markdown) is left as it is: it names the old names. */
export function renameText(path, text) {
  if (/(^|\/)package\.json$/.test(path)) return renameManifest(text.split(OLD_SCOPE).join(NEW_SCOPE));
  return text
    .split('\n')
    .map((line) => (line.includes('rename:keep') ? line : renameSdk(line.split(OLD_SCOPE).join(NEW_SCOPE))))
    .join('\n');
}

export function main() {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && TEXT.test(f) && !SKIP.test(f));
  let changed = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      continue;
    }
    const out = renameText(file, text);
    if (out === text) continue;
    changed += 1;
    process.stdout.write(`${dryRun ? 'would rewrite' : 'rewrote'} ${file}\n`);
    if (!dryRun) writeFileSync(join(root, file), out);
  }
  process.stdout.write(`rename-packages: ${changed} file(s) ${dryRun ? 'to change' : 'changed'}\n`);

  if (install && changed > 0) {
    // package-lock.json and node_modules/<scope> links follow the manifests; --offline: everything is in the cache.
    execFileSync('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
