import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';

/** File extensions read as images (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.webp']);

export interface DatasetImage {
  /** Absolute path. */
  readonly path: string;
  /** Index into `ImageDataset.labels`. */
  readonly label: number;
}

/** A folder of images, one sub-folder per class; the class name is the folder name. */
export interface ImageDataset {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** Class names in index order: the sub-folder names sorted by code point (locale-independent). */
  readonly labels: readonly string[];
  /** Every image, class by class, each class's files sorted by name. */
  readonly images: readonly DatasetImage[];
  /** Entries that are not used: files that are not images, nested folders, class folders without images. */
  readonly ignored: readonly string[];
}

/** Why a dataset cannot be trained on; all issues are listed at once. */
export interface DatasetIssue {
  readonly class?: string;
  readonly reason: string;
}

/**
 * Lists `dir`: each sub-folder holding JPEG/PNG/WebP files is a class (hidden entries are skipped, symlinks
 * followed). The dataset must have at least 2 classes and every class at least 2 images, else
 * TCH_ERR_TRAIN_DATASET_INVALID with `details.issues`. A missing folder is TCH_ERR_IO_NOT_FOUND.
 */
export async function createImageDataset(dir: string): Promise<ImageDataset> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('images must be a non-empty string (a folder path).');
  const root = resolve(dir);
  const entries = await listFolder(root);
  if (entries === undefined) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Image folder "${dir}" does not exist or is not a folder.`, {
      details: { dir },
    });
  }
  const labels: string[] = [];
  const files: string[][] = [];
  const ignored: string[] = [];
  for (const name of entries) {
    const path = join(root, name);
    const classFiles = await listFolder(path);
    if (classFiles === undefined) {
      ignored.push(path);
      continue;
    }
    const images: string[] = [];
    for (const file of classFiles) {
      const filePath = join(path, file);
      if (IMAGE_EXTENSIONS.includes(extname(file).toLowerCase()) && !(await isFolder(filePath))) images.push(filePath);
      else ignored.push(filePath);
    }
    if (images.length === 0) {
      ignored.push(path);
      continue;
    }
    labels.push(name);
    files.push(images);
  }
  const dataset: ImageDataset = Object.freeze({
    dir: root,
    labels: Object.freeze(labels),
    images: Object.freeze(files.flatMap((paths, label) => paths.map((path) => Object.freeze({ path, label })))),
    ignored: Object.freeze(ignored),
  });
  assertTrainable(dataset);
  return dataset;
}

/** Throws TCH_ERR_TRAIN_DATASET_INVALID unless there are >= 2 classes and each has >= 2 images. */
export function assertTrainable(dataset: Pick<ImageDataset, 'dir' | 'labels' | 'images'>, skipped = 0): void {
  const counts = dataset.labels.map(() => 0);
  for (const image of dataset.images) counts[image.label]!++;
  const issues: DatasetIssue[] = [];
  const populated = counts.filter((n) => n > 0).length;
  if (populated < 2) {
    issues.push({
      reason: `${populated} class folder${populated === 1 ? ' has' : 's have'} usable images; at least 2 are needed`,
    });
  }
  counts.forEach((n, i) => {
    if (n === 1) issues.push({ class: dataset.labels[i]!, reason: 'only 1 usable image; each class needs at least 2' });
  });
  if (issues.length === 0) return;
  const first = issues[0]!;
  throw new TachyonError(
    'TCH_ERR_TRAIN_DATASET_INVALID',
    `Image folder "${dataset.dir}" cannot be trained on: ${first.class === undefined ? '' : `class "${first.class}" has `}${first.reason}${issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : ''}.`,
    { details: { dir: dataset.dir, issues, ...(skipped > 0 ? { skippedImages: skipped } : {}) } },
  );
}

/** Visible entry names sorted by code point, or undefined when `path` is not a readable folder. */
async function listFolder(path: string): Promise<string[] | undefined> {
  try {
    if (!(await stat(path)).isDirectory()) return undefined;
    const names = await readdir(path);
    return names.filter((n) => !n.startsWith('.')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return undefined;
  }
}

/** A dangling link or unreadable entry is not a folder: it stays an image and is reported when it cannot be read. */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
