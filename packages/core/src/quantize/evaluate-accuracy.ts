import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import type { TopKEntry } from '../labels/top-k.js';

/** What evaluateAccuracy runs: a ServedModel (or anything that classifies images the same way). */
export interface ImageClassifying {
  classify(images: readonly Uint8Array[], options: { topK: number }): Promise<TopKEntry[][]>;
}

/** One labelled evaluation image. */
export interface LabelledImage {
  readonly file: string;
  readonly classIndex: number;
}

/**
 * Reads a labels file in the labels.tsv format of ../shared/images (tab-separated, a header naming at least `file`
 * and `class_index`; or headerless `FILE<TAB>INDEX` lines), resolving file names against `imagesDir`.
 * TCH_ERR_EVAL_LABELS_INVALID for a malformed or empty file.
 */
export async function readLabelledImages(labelsFile: string, imagesDir: string): Promise<LabelledImage[]> {
  if (typeof labelsFile !== 'string' || labelsFile === '') throw new TypeError('labelsFile must be a non-empty path.');
  if (typeof imagesDir !== 'string' || imagesDir === '') throw new TypeError('imagesDir must be a non-empty path.');
  let text: string;
  try {
    text = await readFile(labelsFile, 'utf8');
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Labels file "${labelsFile}" does not exist or cannot be read.`, {
      details: { labelsFile },
      cause,
    });
  }
  const rows = text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t'));
  const invalid = (why: string, line?: number) =>
    new TachyonError('TCH_ERR_EVAL_LABELS_INVALID', `Labels file "${basename(labelsFile)}" ${why}.`, {
      details: { labelsFile, line },
    });
  if (rows.length === 0) throw invalid('is empty');
  let fileCol = 0;
  let indexCol = 1;
  let start = 0;
  if (!/^\d+$/.test(rows[0]![1]?.trim() ?? '')) {
    const header = rows[0]!.map((h) => h.trim().toLowerCase());
    fileCol = header.indexOf('file');
    indexCol = header.indexOf('class_index');
    if (fileCol < 0 || indexCol < 0) throw invalid('has a header without "file" and "class_index" columns', 1);
    start = 1;
  }
  const out: LabelledImage[] = [];
  for (let i = start; i < rows.length; i++) {
    const file = rows[i]![fileCol]?.trim() ?? '';
    const index = rows[i]![indexCol]?.trim() ?? '';
    if (file === '' || !/^\d+$/.test(index)) throw invalid(`has no file name or class index on line ${i + 1}`, i + 1);
    if (file.includes('..') || file.startsWith('/'))
      throw invalid(`names a file outside the image folder on line ${i + 1}`, i + 1);
    out.push({ file: join(imagesDir, file), classIndex: Number(index) });
  }
  if (out.length === 0) throw invalid('lists no image');
  return out;
}

export interface ClassifierAccuracy {
  readonly name: string;
  readonly images: number;
  /** Percent of images whose true class is the top-1 / among the top-5. */
  readonly top1: number;
  readonly top5: number;
  /** Top-1 class index per image, in sample order. */
  readonly predictions: readonly number[];
}

export interface EvaluateOptions {
  /** Called after each image. @default undefined */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Top-1/top-5 accuracy of one or more classifiers on the same labelled images (each image read once, classified
 * by every model in turn). Image errors fail the evaluation with their TCH_ERR_IMAGE_* / TCH_ERR_IO_NOT_FOUND code.
 */
export async function evaluateAccuracy(
  classifiers: readonly { name: string; classifier: ImageClassifying }[],
  images: readonly LabelledImage[],
  options: EvaluateOptions = {},
): Promise<ClassifierAccuracy[]> {
  if (!Array.isArray(classifiers) || classifiers.length === 0)
    throw new TypeError('classifiers must be a non-empty array.');
  if (!Array.isArray(images)) throw new TypeError('images must be an array of LabelledImage.');
  const hits = classifiers.map(() => ({ top1: 0, top5: 0, predictions: [] as number[] }));
  for (let i = 0; i < images.length; i++) {
    const { file, classIndex } = images[i]!;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Image "${file}" does not exist or cannot be read.`, {
        details: { file },
        cause,
      });
    }
    const tops = await Promise.all(
      classifiers.map(async (c) => (await c.classifier.classify([bytes], { topK: 5 }))[0]!),
    );
    tops.forEach((top, m) => {
      if (top[0]?.index === classIndex) hits[m]!.top1++;
      if (top.some((e: { index: number }) => e.index === classIndex)) hits[m]!.top5++;
      hits[m]!.predictions.push(top[0]?.index ?? -1);
    });
    options.onProgress?.(i + 1, images.length);
  }
  const percent = (n: number) => (images.length === 0 ? 0 : (100 * n) / images.length);
  return classifiers.map((c, m) =>
    Object.freeze({
      name: c.name,
      images: images.length,
      top1: percent(hits[m]!.top1),
      top5: percent(hits[m]!.top5),
      predictions: hits[m]!.predictions,
    }),
  );
}
