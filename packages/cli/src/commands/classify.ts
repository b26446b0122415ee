import { readFile } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import { openServedModel, parseLabels } from '@tachyon-serve/core';
import { classifyFiles } from '../classify-files.js';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';

export interface ClassifyOptions {
  model?: string;
  preset?: string;
  outputKind?: 'logits' | 'probabilities';
  top: string;
  labels?: string;
  json?: boolean;
}

/** Classifies each image in order; a bad image is reported and skipped, the others still run (exit code 1). */
export async function runClassify(images: string[], options: ClassifyOptions, globals: GlobalOptions): Promise<void> {
  const top = parseTop(options.top);
  const { workspace, sources } = await createCliContext(globals);
  const labels = options.labels === undefined ? undefined : await readLabelsFile(options.labels);
  // The engine the server runs: same preset, output kind and softmax decisions, same numbers.
  const model = await openServedModel(options.model ?? workspace.defaultModel, {
    sources,
    preset: options.preset,
    outputKind: options.outputKind,
    labels,
  });
  try {
    if (
      (await classifyFiles(
        images,
        async (bytes) => (await model.classify([bytes], { topK: top }))[0]!,
        options.json === true,
      )) > 0
    )
      process.exitCode = 1;
  } finally {
    await model.close();
  }
}

export function parseTop(value: string): number {
  const top = Number(value);
  if (!Number.isInteger(top) || top < 1) throw new RangeError(`--top: expected an integer >= 1, got "${value}"`);
  return top;
}

export async function readLabelsFile(file: string): Promise<string[]> {
  try {
    return parseLabels(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Labels file "${file}" does not exist or cannot be read.`, {
      details: { file },
      cause,
    });
  }
}
