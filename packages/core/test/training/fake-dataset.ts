import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import type { FeatureExtractor } from '../../src/training/index.js';

/** Writes `<dir>/<class>/<file>` for each entry; contents are strings (the fake extractor never decodes them). */
export async function writeDataset(dir: string, files: Record<string, Record<string, string>>): Promise<string> {
  for (const [label, entries] of Object.entries(files)) {
    await mkdir(join(dir, label), { recursive: true });
    for (const [name, content] of Object.entries(entries)) await writeFile(join(dir, label, name), content);
  }
  return dir;
}

/** `count` files per class whose content is `<class index>:<n>`, which the fake extractor maps to a feature vector. */
export function separableFiles(classes: string[], count: number): Record<string, Record<string, string>> {
  return Object.fromEntries(
    classes.map((label, c) => [
      label,
      Object.fromEntries(
        Array.from({ length: count }, (_, n) => [`img-${String(n).padStart(3, '0')}.jpg`, `${c}:${n}`]),
      ),
    ]),
  );
}

export const FAKE_FEATURES = 8;

/**
 * A stand-in backbone: "<c>:<n>" -> a vector near the one-hot of class c (plus deterministic noise), "BAD..." ->
 * TCH_ERR_IMAGE_CORRUPT, "" -> TCH_ERR_IMAGE_EMPTY. Counts calls and images, like a real backbone would cost.
 */
export function buildFakeExtractor(): FeatureExtractor & { calls: number; images: number } {
  const extract = async (images: Uint8Array[]) => {
    extract.calls++;
    extract.images += images.length;
    return images.map((bytes) => {
      const text = Buffer.from(bytes).toString('utf8');
      if (text === '') throw new TachyonError('TCH_ERR_IMAGE_EMPTY', 'The image has zero bytes.');
      if (text.startsWith('BAD')) throw new TachyonError('TCH_ERR_IMAGE_CORRUPT', 'The image data cannot be decoded.');
      const [c, n] = text.split(':').map(Number) as [number, number];
      const v = new Float32Array(FAKE_FEATURES);
      for (let i = 0; i < FAKE_FEATURES; i++) v[i] = Math.sin((n + 1) * (i + 3) * 12.9898) * 0.3;
      v[c % FAKE_FEATURES]! += 2;
      return v;
    });
  };
  extract.calls = 0;
  extract.images = 0;
  return extract;
}
