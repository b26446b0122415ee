import type { LayersModel } from '@tensorflow/tfjs';
import { createTfjsRuntime, type TfjsBackendName } from '../keras/tfjs-runtime.js';
import { extractImageFeatures, type SkippedImage } from './extract-image-features.js';
import { buildFeatureCache } from './feature-cache.js';
import { fitHead, type EpochMetrics } from './fit-head.js';
import { buildHeadModel } from './head-model.js';
import { assertTrainable, createImageDataset } from './image-dataset.js';
import { buildStratifiedSplit } from './stratified-split.js';
import { compileTrainHead, type TrainHeadOptions } from './train-head-options.js';

export interface ClassSplit {
  readonly label: string;
  readonly train: number;
  readonly validation: number;
}

export interface TrainHeadResult {
  /** The trained head: float32 [N, featureSize] -> softmax [N, labels.length]. The caller owns (disposes) it. */
  readonly model: LayersModel;
  /** Class names in output index order (the sub-folder names, sorted). */
  readonly labels: readonly string[];
  readonly metrics: readonly EpochMetrics[];
  /** Validation accuracy after the last epoch; null when validationSplit is 0. */
  readonly validationAccuracy: number | null;
  readonly trainSize: number;
  readonly validationSize: number;
  readonly classes: readonly ClassSplit[];
  readonly featureSize: number;
  /** How many feature vectors were computed by the extractor and how many came from the cache. */
  readonly features: { readonly computed: number; readonly cached: number };
  /** Images left out (unreadable, empty, corrupt, not an image), with their class and the reason. */
  readonly skipped: readonly (SkippedImage & { readonly label: string })[];
  /** Entries of the image folder that are not used (non-image files, class folders without images). */
  readonly ignored: readonly string[];
  /** Problems that did not stop training, e.g. a feature cache that cannot be written. */
  readonly warnings: readonly string[];
  /** The TensorFlow.js backend that trained the head. */
  readonly backend: TfjsBackendName;
}

/**
 * Transfer learning on a folder of labelled images: features are computed once per image (cached on disk when
 * `featureCacheDir` is set), split per class into train/validation, and a small softmax head is trained on them
 * with Adam and categorical cross-entropy. Deterministic for a given seed and backend.
 * Fewer than 2 classes, or a class with fewer than 2 usable images: TCH_ERR_TRAIN_DATASET_INVALID. Images that
 * cannot be read or decoded are skipped and listed in `skipped`.
 */
export async function trainHead(options: TrainHeadOptions): Promise<TrainHeadResult> {
  const config = compileTrainHead(options);
  const dataset = await createImageDataset(config.images);
  const { tf, backend } = await createTfjsRuntime();
  const cache =
    config.featureCacheDir === undefined
      ? undefined
      : buildFeatureCache(config.featureCacheDir, config.featureExtractorId!);
  const extracted = await extractImageFeatures(
    dataset.images.map((i) => i.path),
    {
      extractor: config.featureExtractor,
      cache,
      batchSize: config.featureBatchSize,
      onProgress: (done, total) => config.onProgress?.({ stage: 'features', done, total }),
    },
  );
  const skippedPaths = new Set(extracted.skipped.map((s) => s.path));
  const usable = dataset.images
    .map((image, i) => ({ ...image, vector: extracted.vectors[i] }))
    .filter((i) => i.vector !== undefined);
  assertTrainable({ dir: dataset.dir, labels: dataset.labels, images: usable }, skippedPaths.size);

  const featureSize = usable[0]!.vector!.length;
  const features = new Float32Array(usable.length * featureSize);
  usable.forEach((image, i) => features.set(image.vector!, i * featureSize));
  const labels = usable.map((i) => i.label);
  const split = buildStratifiedSplit(labels, config.validationSplit, config.seed);

  const model = buildHeadModel(tf, {
    features: featureSize,
    classes: dataset.labels.length,
    hidden: config.hidden,
    dropout: config.dropout,
    seed: config.seed,
  });
  let metrics: EpochMetrics[];
  try {
    metrics = await fitHead(
      tf,
      model,
      {
        features,
        featureSize,
        labels,
        classes: dataset.labels.length,
        train: split.train,
        validation: split.validation,
      },
      {
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        // A stream of its own, so changing the split fraction does not also change the batch order.
        seed: (config.seed >>> 0) ^ 0x5bd1e995,
        onEpoch: (m) => config.onProgress?.({ stage: 'epoch', epochs: config.epochs, ...m }),
      },
    );
  } catch (error) {
    model.dispose();
    throw error;
  }
  const count = (indices: readonly number[], label: number) => indices.filter((s) => labels[s] === label).length;
  return Object.freeze({
    model,
    labels: dataset.labels,
    metrics: Object.freeze(metrics),
    validationAccuracy: metrics.at(-1)?.validationAccuracy ?? null,
    trainSize: split.train.length,
    validationSize: split.validation.length,
    classes: Object.freeze(
      dataset.labels.map((label, i) =>
        Object.freeze({ label, train: count(split.train, i), validation: count(split.validation, i) }),
      ),
    ),
    featureSize,
    features: Object.freeze({ computed: extracted.computed, cached: extracted.cached }),
    skipped: Object.freeze(
      extracted.skipped.map((s) =>
        Object.freeze({ ...s, label: dataset.labels[dataset.images.find((i) => i.path === s.path)!.label]! }),
      ),
    ),
    ignored: dataset.ignored,
    warnings: extracted.warnings,
    backend,
  });
}
