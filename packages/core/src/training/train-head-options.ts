import type { FeatureExtractor } from './feature-extractor.js';

/** Progress of `trainHead`: features first (done/total images), then one event per epoch. */
export type TrainHeadProgress =
  | { stage: 'features'; done: number; total: number }
  | {
      stage: 'epoch';
      /** 1-based. */
      epoch: number;
      epochs: number;
      loss: number;
      trainAccuracy: number;
      /** null without a validation set. */
      validationAccuracy: number | null;
      validationLoss: number | null;
    };

export interface TrainHeadOptions {
  /** Folder with one sub-folder of JPEG/PNG/WebP images per class; the folder name is the class name. */
  images: string;
  /** Computes one feature vector per image (e.g. a backbone's pooled features). */
  featureExtractor: FeatureExtractor;
  /**
   * Identifies what `featureExtractor` computes (model, output tensor, preprocessing): the cache key is
   * (this id, image sha256). Required with `featureCacheDir`.
   */
  featureExtractorId?: string;
  /** Folder for cached feature vectors, so a second run skips the backbone. @default no cache */
  featureCacheDir?: string;
  /** Images per featureExtractor call. @default 16 */
  featureBatchSize?: number;
  /** Fraction of each class held out for validation (stratified), in [0, 1). @default 0.2 */
  validationSplit?: number;
  /** @default 30 */
  epochs?: number;
  /** Adam learning rate. @default 0.001 */
  learningRate?: number;
  /** @default 32 */
  batchSize?: number;
  /** Units of one hidden Dense(relu) layer; 0 gives a linear softmax head. @default 0 */
  hidden?: number;
  /** Dropout rate before each Dense layer while training (no-op at inference). @default 0.2 */
  dropout?: number;
  /** Seeds the split, the weight initialization, the batch order and dropout: same seed, same head. @default 0 */
  seed?: number;
  onProgress?: (progress: TrainHeadProgress) => void;
}

export interface TrainHeadConfig
  extends Readonly<Required<Omit<TrainHeadOptions, 'featureExtractorId' | 'featureCacheDir' | 'onProgress'>>> {
  readonly featureExtractorId: string | undefined;
  readonly featureCacheDir: string | undefined;
  readonly onProgress: ((progress: TrainHeadProgress) => void) | undefined;
}

/** The one defaults object for TrainHeadOptions. */
export const TRAIN_HEAD_DEFAULTS = Object.freeze({
  featureBatchSize: 16,
  validationSplit: 0.2,
  epochs: 30,
  learningRate: 0.001,
  batchSize: 32,
  hidden: 0,
  dropout: 0.2,
  seed: 0,
});

const KNOWN = new Set([
  'images',
  'featureExtractor',
  'featureExtractorId',
  'featureCacheDir',
  'onProgress',
  ...Object.keys(TRAIN_HEAD_DEFAULTS),
]);

/** Validates options (TypeError/RangeError naming the option) and returns a frozen config with defaults filled. */
export function compileTrainHead(options: TrainHeadOptions): TrainHeadConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) throw new TypeError(`options.${key} is not a trainHead option.`);
  const o = {
    ...TRAIN_HEAD_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as TrainHeadOptions & typeof TRAIN_HEAD_DEFAULTS;
  if (typeof o.images !== 'string' || o.images === '') throw new TypeError('options.images must be a folder path.');
  if (typeof o.featureExtractor !== 'function') throw new TypeError('options.featureExtractor must be a function.');
  optionalString('featureExtractorId', o.featureExtractorId);
  optionalString('featureCacheDir', o.featureCacheDir);
  if (o.featureCacheDir !== undefined && o.featureExtractorId === undefined) {
    throw new TypeError(
      'options.featureExtractorId is required with options.featureCacheDir (it is part of the cache key).',
    );
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw new TypeError('options.onProgress must be a function.');
  number('validationSplit', o.validationSplit, (v) => v >= 0 && v < 1, 'in [0, 1)');
  number('learningRate', o.learningRate, (v) => v > 0, 'positive');
  number('dropout', o.dropout, (v) => v >= 0 && v < 1, 'in [0, 1)');
  integer('epochs', o.epochs, 1);
  integer('batchSize', o.batchSize, 1);
  integer('featureBatchSize', o.featureBatchSize, 1);
  integer('hidden', o.hidden, 0);
  integer('seed', o.seed, 0);
  return Object.freeze({
    images: o.images,
    featureExtractor: o.featureExtractor,
    featureExtractorId: o.featureExtractorId,
    featureCacheDir: o.featureCacheDir,
    featureBatchSize: o.featureBatchSize,
    validationSplit: o.validationSplit,
    epochs: o.epochs,
    learningRate: o.learningRate,
    batchSize: o.batchSize,
    hidden: o.hidden,
    dropout: o.dropout,
    seed: o.seed,
    onProgress: o.onProgress,
  });
}

function optionalString(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === ''))
    throw new TypeError(`options.${name} must be a non-empty string.`);
}

function number(name: string, value: unknown, ok: (v: number) => boolean, what: string): void {
  if (typeof value !== 'number') throw new TypeError(`options.${name} must be a number.`);
  if (!Number.isFinite(value) || !ok(value)) throw new RangeError(`options.${name} must be ${what}, not ${value}.`);
}

function integer(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number') throw new TypeError(`options.${name} must be a number.`);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`options.${name} must be an integer >= ${min}, not ${value}.`);
}
