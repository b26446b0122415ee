import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TachyonError } from '@tachyon/protocol';
import { ImageClassifier, parseLabels, resolveModelRef, type TopKEntry } from '@tachyon/core';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printError, printJson, printLine } from '../output.js';

export interface ClassifyOptions {
  model?: string;
  preset?: string;
  top: string;
  labels?: string;
  json?: boolean;
}

/** Classifies each image in order; a bad image is reported and skipped, the others still run (exit code 1). */
export async function runClassify(images: string[], options: ClassifyOptions, globals: GlobalOptions): Promise<void> {
  const top = Number(options.top);
  if (!Number.isInteger(top) || top < 1) throw new RangeError(`--top: expected an integer >= 1, got "${options.top}"`);
  const { workspace, sources } = await createCliContext(globals);
  const model = await resolveModelRef(options.model ?? workspace.defaultModel, sources);
  const labels = options.labels === undefined ? undefined : parseLabels(await readLabels(options.labels));
  const classifier = await ImageClassifier.create({ modelPath: model.path, entry: model.entry, preprocess: options.preset, labels });
  let failures = 0;
  try {
    for (const file of images) {
      try {
        const bytes = await readImage(file);
        report(file, await classifier.classify(bytes, top), options.json === true);
      } catch (error) {
        if (!(error instanceof TachyonError)) throw error;
        failures++;
        if (options.json) printJson({ file, error: error.toJSON() });
        else printError(`${file}: error ${error.code}: ${error.message}`);
      }
    }
  } finally {
    await classifier.close();
  }
  if (failures > 0) process.exitCode = 1;
}

function report(file: string, top: TopKEntry[], json: boolean): void {
  if (json) {
    printJson({ file, top });
    return;
  }
  printLine(basename(file));
  const width = Math.max(...top.map((t) => t.label.length));
  top.forEach((t, i) => printLine(`  ${i + 1}. ${t.label.padEnd(width)}  ${(t.score * 100).toFixed(2).padStart(6)}%  (class ${t.index})`));
}

async function readImage(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Image "${file}" does not exist or cannot be read.`, { details: { file }, cause });
  }
}

async function readLabels(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Labels file "${file}" does not exist or cannot be read.`, { details: { file }, cause });
  }
}
