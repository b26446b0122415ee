import { basename } from 'node:path';
import {
  createBackend,
  evaluateAccuracy,
  openServedModel,
  readLabelledImages,
  type ClassifierAccuracy,
  type ServedModel,
} from '@tachyon-serve/core';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printJson, printLine } from '../output.js';
import { createBarPrinter, integerFlag } from './quantize.js';

export interface EvaluateCliOptions {
  images: string;
  labels: string;
  preset?: string;
  limit?: string;
  json?: boolean;
}

/**
 * `tachyon evaluate MODEL [MODEL2]`: top-1/top-5 accuracy on the labelled images (labels.tsv format), every model on
 * the same images; with two models also the difference (second minus first) and how often their top-1 agree.
 */
export async function runEvaluate(
  models: string[],
  options: EvaluateCliOptions,
  globals: GlobalOptions,
): Promise<void> {
  const limit = integerFlag('--limit', options.limit, 1);
  const { sources } = await createCliContext(globals);
  let images = await readLabelledImages(options.labels, options.images);
  if (limit !== undefined) images = images.slice(0, limit);
  const backend = createBackend();
  const classifiers: { name: string; classifier: ServedModel }[] = [];
  try {
    for (const model of models) {
      classifiers.push({
        name: model,
        classifier: await openServedModel(model, { sources, preset: options.preset, backend, name: model }),
      });
    }
    const results = await evaluateAccuracy(classifiers, images, { onProgress: createBarPrinter('evaluating') });
    const difference = results.length === 2 ? compare(results[0]!, results[1]!) : undefined;
    const summary = {
      images: images.length,
      labels: options.labels,
      models: results.map((r) => ({ model: r.name, top1: round(r.top1), top5: round(r.top5) })),
      ...(difference ? { difference } : {}),
    };
    if (options.json) printJson(summary);
    else printTable(summary.models, difference, images.length);
  } finally {
    for (const c of classifiers) await c.classifier.close();
    await backend.close();
  }
}

function compare(a: ClassifierAccuracy, b: ClassifierAccuracy) {
  const agree = a.predictions.filter((p, i) => p === b.predictions[i]).length;
  return {
    top1: round(b.top1 - a.top1),
    top5: round(b.top5 - a.top5),
    top1Agreement: round((100 * agree) / Math.max(1, a.images)),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

function printTable(
  rows: { model: string; top1: number; top5: number }[],
  difference: ReturnType<typeof compare> | undefined,
  images: number,
): void {
  const names = rows.map((r) => basename(r.model));
  const width = Math.max(5, ...names.map((n) => n.length), difference ? 'difference'.length : 0);
  const pct = (x: number) => `${x.toFixed(2)} %`.padStart(9);
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`.padStart(7) + '  ';
  printLine(`${'model'.padEnd(width)}  ${'top-1'.padStart(9)}  ${'top-5'.padStart(9)}   (${images} images)`);
  rows.forEach((r, i) => printLine(`${names[i]!.padEnd(width)}  ${pct(r.top1)}  ${pct(r.top5)}`));
  if (difference) {
    printLine(
      `${'difference'.padEnd(width)}  ${signed(difference.top1)}  ${signed(difference.top5)}   (second - first, points)`,
    );
    printLine(`top-1 agreement: ${difference.top1Agreement.toFixed(2)} %`);
  }
}
