import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from bench/dist/test/...). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export function sharedDir(): string {
  const dir = process.env['TACHYON_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(join(dir, 'models'))) throw new Error(`shared data not found at ${dir}: set TACHYON_SHARED_DIR`);
  return dir;
}

export const sharedModel = (file: string): string => join(sharedDir(), 'models', file);
