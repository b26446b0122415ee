// Where the suite finds the repository, the CLI and the shared models and images (never a hard-coded absolute path).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from test/reliability/dist/src/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
export const CLI_BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'tachyon.js');
/** The test-only preload that lets the suite make a session worker exit (see fault-preload.ts). */
export const FAULT_PRELOAD = new URL('./fault-preload.js', import.meta.url).href;

/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export function sharedDir(): string {
  const dir = process.env['TACHYON_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(join(dir, 'models'))) throw new Error(`shared data not found at ${dir}: set TACHYON_SHARED_DIR`);
  return dir;
}

export const sharedModels = (): string => join(sharedDir(), 'models');
export const sampleImage = (file: string): Buffer => readFileSync(join(sharedDir(), 'images', 'imagenet-sample', file));
/** A clear top-1 with mobilenetv2-int8 (0.97). */
export const ORANGE = Object.freeze({ file: 'n07747607_orange.JPEG', index: 950 });

/** A module of another package's compiled tests (raw-zip builder, fixtures): reused, not copied. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
