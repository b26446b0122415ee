import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isTachyonError } from '@tachyon-serve/protocol';
import type { FeatureCache } from './feature-cache.js';
import type { FeatureExtractor } from './feature-extractor.js';

/** An image left out of training, and why (nothing is dropped silently). */
export interface SkippedImage {
  readonly path: string;
  /** TCH_ERR_IO_NOT_FOUND (unreadable file) or a TCH_ERR_IMAGE_* code (empty, corrupt, not an image, too large). */
  readonly code: string;
  readonly reason: string;
}

export interface ImageFeatures {
  /** One per path, in order; undefined for skipped images. */
  readonly vectors: readonly (Float32Array | undefined)[];
  readonly skipped: readonly SkippedImage[];
  /** Vectors the extractor computed in this call. */
  readonly computed: number;
  /** Vectors read from the cache. */
  readonly cached: number;
  /** Problems that did not stop extraction (a cache that cannot be written). */
  readonly warnings: readonly string[];
}

export interface ExtractImageFeaturesOptions {
  extractor: FeatureExtractor;
  cache?: FeatureCache | undefined;
  /** Images per extractor call. */
  batchSize: number;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

interface Pending {
  index: number;
  bytes: Uint8Array;
  sha256: string;
}

/**
 * Reads each image, looks its sha256 up in the cache and runs the extractor on the misses, `batchSize` at a
 * time. A batch rejected with a TCH_ERR_IMAGE_* error is retried image by image; the images that still fail, and
 * files that cannot be read, are returned in `skipped`. Any other extractor error is thrown.
 */
export async function extractImageFeatures(
  paths: readonly string[],
  options: ExtractImageFeaturesOptions,
): Promise<ImageFeatures> {
  const vectors: (Float32Array | undefined)[] = new Array(paths.length).fill(undefined);
  const skipped: SkippedImage[] = [];
  const warnings: string[] = [];
  let computed = 0;
  let cached = 0;
  let cacheWritable = options.cache !== undefined;

  const store = async (item: Pending, features: Float32Array) => {
    vectors[item.index] = features;
    computed++;
    if (!cacheWritable) return;
    try {
      await options.cache!.set(item.sha256, features);
    } catch (error) {
      cacheWritable = false;
      warnings.push(
        `The feature cache "${options.cache!.dir}" cannot be written (${errorText(error)}); features are not cached.`,
      );
    }
  };

  for (let start = 0; start < paths.length; start += options.batchSize) {
    const misses: Pending[] = [];
    for (let index = start; index < Math.min(start + options.batchSize, paths.length); index++) {
      const path = paths[index]!;
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (error) {
        skipped.push({ path, code: 'TCH_ERR_IO_NOT_FOUND', reason: `the file cannot be read (${errorText(error)})` });
        continue;
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const hit = await options.cache?.get(sha256);
      if (hit) {
        vectors[index] = hit;
        cached++;
      } else {
        misses.push({ index, bytes, sha256 });
      }
    }
    if (misses.length > 0) {
      try {
        const batch = await runExtractor(options.extractor, misses);
        for (let i = 0; i < misses.length; i++) await store(misses[i]!, batch[i]!);
      } catch (error) {
        if (!isImageError(error)) throw error;
        // One bad image fails the whole batch: find it by running the images one by one.
        for (const item of misses) {
          try {
            await store(item, (await runExtractor(options.extractor, [item]))[0]!);
          } catch (single) {
            if (!isImageError(single)) throw single;
            skipped.push({ path: paths[item.index]!, code: single.code, reason: single.message });
          }
        }
      }
    }
    options.onProgress?.(Math.min(start + options.batchSize, paths.length), paths.length);
  }
  assertSameLength(vectors, paths);
  return { vectors, skipped, computed, cached, warnings };
}

async function runExtractor(extractor: FeatureExtractor, items: readonly Pending[]): Promise<Float32Array[]> {
  const result = await extractor(items.map((i) => i.bytes));
  if (!Array.isArray(result) || result.length !== items.length) {
    throw new TypeError(
      `featureExtractor must return one Float32Array per image: got ${Array.isArray(result) ? result.length : typeof result} for ${items.length}.`,
    );
  }
  for (const v of result) {
    if (!(v instanceof Float32Array) || v.length === 0)
      throw new TypeError('featureExtractor must return non-empty Float32Arrays.');
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new TypeError('featureExtractor returned a feature that is NaN or infinite.');
    }
  }
  return result;
}

function assertSameLength(vectors: readonly (Float32Array | undefined)[], paths: readonly string[]): void {
  let first: number | undefined;
  vectors.forEach((v, i) => {
    if (v === undefined) return;
    first ??= v.length;
    if (v.length !== first) {
      throw new TypeError(
        `featureExtractor returned vectors of different lengths (${first} and ${v.length}, the latter for "${paths[i]}").`,
      );
    }
  });
}

function isImageError(error: unknown): error is import('@tachyon-serve/protocol').TachyonError {
  return isTachyonError(error) && error.code.startsWith('TCH_ERR_IMAGE_');
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
