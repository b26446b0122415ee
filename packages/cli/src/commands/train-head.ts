import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createBackend,
  type Backend,
  ServiceDefinition,
  classifierStage,
  createFeaturizerModel,
  createOnnxFeatureExtractor,
  encodeOnnxModel,
  featurizerStage,
  imageStage,
  kerasStage,
  saveKerasModel,
  trainHead,
  zooEntry,
  zooId,
  type ModelSources,
  type TrainHeadProgress,
  type TrainHeadResult,
  type ZooEntry,
} from '@tachyon-serve/core';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printError, printJson, printLine } from '../output.js';

/** Flags as commander hands them over: every value a string. */
export interface TrainHeadCliOptions {
  /** Zoo family (`mobilenetv2`) with --dtype, or a full zoo id (`mobilenetv2-int8`). */
  featurizer: string;
  dtype: 'fp32' | 'int8';
  top: string;
  images: string;
  out: string;
  epochs?: string;
  validationSplit?: string;
  seed?: string;
  learningRate?: string;
  batchSize?: string;
  hidden?: string;
  /** Folder for cached feature vectors. @default <cache dir>/features */
  featureCache?: string;
  json?: boolean;
}

/**
 * `tachyon train-head`: features of every image from the featurizer (cached, so a second run skips the backbone),
 * a softmax head trained on them, the head written to --out. Progress goes to stderr, the summary to stdout.
 */
export async function runTrainHead(options: TrainHeadCliOptions, globals: GlobalOptions): Promise<void> {
  const numbers = {
    epochs: integerFlag('--epochs', options.epochs, 1),
    validationSplit: numberFlag(
      '--validation-split',
      options.validationSplit,
      (v) => v >= 0 && v < 1,
      'a number in [0, 1)',
    ),
    seed: integerFlag('--seed', options.seed, 0),
    learningRate: numberFlag('--learning-rate', options.learningRate, (v) => v > 0, 'a positive number'),
    batchSize: integerFlag('--batch-size', options.batchSize, 1),
    hidden: integerFlag('--hidden', options.hidden, 0),
  };
  const topK = integerFlag('--top', options.top, 1) ?? 5;
  const { sources } = await createCliContext(globals);
  const entry = featurizerEntry(options.featurizer, options.dtype);
  const backend = createBackend();
  const work = await mkdtemp(join(tmpdir(), 'tachyon-train-head-'));
  try {
    // Features come from the same cut graph the service definition's featurizer stage runs.
    const featurizer = await createFeaturizerModel(entry, sources, backend);
    const cutPath = join(work, `${entry.id}.featurizer.onnx`);
    await writeFile(cutPath, encodeOnnxModel(featurizer.cut));
    const extractor = await createOnnxFeatureExtractor({
      modelPath: cutPath,
      entry,
      output: featurizer.feature.name,
      backend,
    });
    let result: TrainHeadResult;
    try {
      result = await trainHead({
        images: options.images,
        featureExtractor: extractor.extract,
        featureExtractorId: extractor.id,
        featureCacheDir: options.featureCache ?? join(sources.cacheDir, 'features'),
        ...numbers,
        onProgress: createProgressPrinter(),
      });
    } finally {
      await extractor.close();
    }
    try {
      for (const s of result.skipped)
        printError(`warning: skipped "${s.path}" (class "${s.label}"): ${s.code}: ${s.reason}`);
      if (result.ignored.length > 0)
        printError(`note: ${result.ignored.length} entries of the image folder are not class images and were ignored`);
      for (const w of result.warnings) printError(`warning: ${w}`);
      const out = resolve(options.out);
      await writeTrainedService(out, entry, result, { work, sources, backend, topK });
      const summary = buildSummary(entry.id, featurizer.feature.name, out, result);
      if (options.json) printJson(summary);
      else printText(summary);
    } finally {
      result.model.dispose();
    }
  } finally {
    await backend.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** A zoo id, or a family completed with --dtype. */
function featurizerEntry(featurizer: string, dtype: 'fp32' | 'int8'): ZooEntry {
  try {
    return zooEntry(featurizer);
  } catch {
    return zooEntry(zooId(featurizer, dtype));
  }
}

/** The service definition: image -> featurizer -> the trained Keras head -> classifier with the class names. */
export async function writeTrainedService(
  out: string,
  entry: ZooEntry,
  result: TrainHeadResult,
  context: { work: string; sources: ModelSources; backend: Backend; topK: number },
): Promise<void> {
  const headDir = join(context.work, 'head');
  await writeTrainedHead(headDir, result);
  const def = new ServiceDefinition(
    `${entry.id}-custom-head`,
    `${entry.id} features + a head trained by tachyon train-head`,
  );
  def.pipeline.push(
    imageStage(entry.preset),
    featurizerStage(entry.family, { dtype: entry.dtype }),
    kerasStage(headDir, { name: 'head' }),
    // The trained head ends in softmax.
    classifierStage({
      labels: result.labels,
      outputKind: 'probabilities',
      topK: Math.min(context.topK, result.labels.length),
    }),
  );
  await def.save(out, { sources: context.sources, backend: context.backend });
}

/** Writes the head as a Keras (TensorFlow.js layers) folder, `model.json` + weights, with `labels.txt` beside it. */
export async function writeTrainedHead(out: string, result: TrainHeadResult): Promise<void> {
  await mkdir(out, { recursive: true });
  await saveKerasModel(result.model, out);
  await writeFile(join(out, 'labels.txt'), `${result.labels.join('\n')}\n`);
}

interface TrainHeadSummary {
  featurizer: string;
  featureTensor: string;
  featureSize: number;
  out: string;
  labels: readonly string[];
  validationAccuracy: number | null;
  trainAccuracy: number | null;
  trainSize: number;
  validationSize: number;
  classes: TrainHeadResult['classes'];
  epochs: number;
  features: TrainHeadResult['features'];
  skipped: { file: string; label: string; code: string; reason: string }[];
  backend: string;
}

function buildSummary(featurizer: string, featureTensor: string, out: string, r: TrainHeadResult): TrainHeadSummary {
  return {
    featurizer,
    featureTensor,
    featureSize: r.featureSize,
    out,
    labels: r.labels,
    validationAccuracy: r.validationAccuracy,
    trainAccuracy: r.metrics.at(-1)?.trainAccuracy ?? null,
    trainSize: r.trainSize,
    validationSize: r.validationSize,
    classes: r.classes,
    epochs: r.metrics.length,
    features: r.features,
    skipped: r.skipped.map((s) => ({ file: s.path, label: s.label, code: s.code, reason: s.reason })),
    backend: r.backend,
  };
}

function printText(s: TrainHeadSummary): void {
  const percent = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  printLine(`service definition written to ${s.out} (image -> featurizer -> trained head -> classifier)`);
  printLine(`  featurizer          ${s.featurizer} (${s.featureTensor}, ${s.featureSize} features)`);
  printLine(`  classes             ${s.labels.length}: ${s.labels.join(', ')}`);
  printLine(`  images              ${s.trainSize} train, ${s.validationSize} validation, ${s.skipped.length} skipped`);
  printLine(`  features            ${s.features.computed} computed, ${s.features.cached} from the cache`);
  printLine(
    `  accuracy            ${percent(s.validationAccuracy)} validation, ${percent(s.trainAccuracy)} train (epoch ${s.epochs})`,
  );
}

/** Feature progress as one updating line on a TTY (a line per batch otherwise), then a line per epoch. */
function createProgressPrinter(): (p: TrainHeadProgress) => void {
  const tty = process.stderr.isTTY === true;
  return (p) => {
    if (p.stage === 'features') {
      const line = `features ${p.done}/${p.total}`;
      if (tty) process.stderr.write(`\r${line}${p.done === p.total ? '\n' : ''}`);
      else printError(line);
      return;
    }
    const val = p.validationAccuracy === null ? '' : `  val ${(p.validationAccuracy * 100).toFixed(1)}%`;
    printError(
      `epoch ${String(p.epoch).padStart(String(p.epochs).length)}/${p.epochs}  loss ${p.loss.toFixed(4)}  train ${(p.trainAccuracy * 100).toFixed(1)}%${val}`,
    );
  };
}

function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${flag}: expected an integer >= ${min}, got "${value}"`);
  return n;
}

function numberFlag(
  flag: string,
  value: string | undefined,
  ok: (v: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new RangeError(`${flag}: expected ${what}, got "${value}"`);
  return n;
}
