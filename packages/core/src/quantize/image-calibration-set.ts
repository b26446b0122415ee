import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import { preprocessImage, tensorDimsPerImage } from '../image/preprocess.js';
import { isPreprocessConfig, type PreprocessConfig } from '../image/preprocess-options.js';
import type { CalibrationSet } from './calibrate.js';

const IMAGE_FILE = /\.(jpe?g|png|webp)$/i;

/** The image files of a folder (not recursive), sorted by name; TCH_ERR_IO_NOT_FOUND when it cannot be read. */
export async function listImageFiles(dir: string): Promise<string[]> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string.');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Image folder "${dir}" does not exist or cannot be read.`, {
      details: { dir },
      cause,
    });
  }
  return names
    .filter((n) => IMAGE_FILE.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** `count` files spread evenly over `files` (indexes floor(i * length / count)); all of them when count >= length. */
export function spreadSample<T>(files: readonly T[], count: number): T[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, not ${count}.`);
  if (count >= files.length) return [...files];
  return Array.from({ length: count }, (_, i) => files[Math.floor((i * files.length) / count)]!);
}

/**
 * A calibration set of image files preprocessed as the model expects (its catalog preset). Images are read when the
 * calibration asks for them; a file that cannot be read or decoded fails the calibration with its TCH_ERR_IMAGE_*
 * or TCH_ERR_IO_NOT_FOUND code.
 */
export function imageCalibrationSet(files: readonly string[], preprocess: PreprocessConfig): CalibrationSet {
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string'))
    throw new TypeError('files must be an array of paths.');
  if (!isPreprocessConfig(preprocess))
    throw new TypeError('preprocess must be a PreprocessConfig (compilePreprocess or presetByName).');
  const list = [...files];
  return Object.freeze({
    size: list.length,
    sampleDims: tensorDimsPerImage(preprocess).slice(1),
    async read(index: number): Promise<Float32Array> {
      const file = list[index]!;
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (cause) {
        throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Calibration image "${file}" cannot be read.`, {
          details: { file },
          cause,
        });
      }
      return (await preprocessImage(bytes, preprocess)).data;
    },
  });
}
