import { readFileSync } from 'node:fs';

const IMAGENET_CLASSES_URL = new URL('../../../labels/imagenet-classes.txt', import.meta.url);
let imagenetLabels: readonly string[] | undefined;

/** The 1000 ImageNet-1k class names in index order (shipped with the package, as ../shared/labels). */
export function imagenetClassNames(): readonly string[] {
  imagenetLabels ??= Object.freeze(parseLabels(readFileSync(IMAGENET_CLASSES_URL, 'utf8')));
  return imagenetLabels;
}

/** One label per non-empty line, in order; trailing whitespace and a final newline are ignored. */
export function parseLabels(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line, i, all) => line !== '' || i < all.length - 1);
}
