// Where tests find the repository and the real data of ../shared (never a hard-coded absolute path).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from packages/test-support/dist/src/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
/** The CLI's launcher. */
export const CLI_BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'tachyon.js');

/** ../shared beside the repository, or $TACHYON_SHARED_DIR; throws when it holds no models/ folder. */
export function sharedDir(): string {
  const dir = process.env['TACHYON_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(join(dir, 'models'))) throw new Error(`shared data not found at ${dir}: set TACHYON_SHARED_DIR`);
  return dir;
}

/** ../shared/models. */
export const sharedModelsDir = (): string => join(sharedDir(), 'models');
/** A file of ../shared/models. */
export const sharedModel = (file: string): string => join(sharedDir(), 'models', file);
/** ../shared/images/imagenet-sample. */
export const sampleImagesDir = (): string => join(sharedDir(), 'images', 'imagenet-sample');
/** The path of one sample image. */
export const sampleImagePath = (file: string): string => join(sampleImagesDir(), file);
/** The bytes of one sample image. */
export const sampleImage = (file: string): Buffer => readFileSync(sampleImagePath(file));

// Clear top-1 with mobilenetv2-int8 (0.97 and 0.96) and no ties in their top-5.
export const ORANGE = Object.freeze({ file: 'n07747607_orange.JPEG', index: 950 });
export const TRUCK = Object.freeze({ file: 'n03417042_garbage_truck.JPEG', index: 569 });
