import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from packages/server/dist/test/...). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../../', import.meta.url)));

/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export function sharedDir(): string {
  const dir = process.env['TACHYON_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(join(dir, 'models'))) throw new Error(`shared data not found at ${dir}: set TACHYON_SHARED_DIR`);
  return dir;
}

export const sampleImage = (name: string): Buffer => readFileSync(join(sharedDir(), 'images', 'imagenet-sample', name));
// Clear top-1 with mobilenetv2-int8 (0.97 and 0.96) and no ties in their top-5.
export const ORANGE = { file: 'n07747607_orange.JPEG', index: 950 };
export const TRUCK = { file: 'n03417042_garbage_truck.JPEG', index: 569 };
