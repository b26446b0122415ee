import type { PreprocessOptions } from '../image/preprocess-options.js';
import type { ExecutionProvider } from '../backends/session-options.js';

/**
 * service.json: the manifest of a service definition zip (docs/service-definition.md).
 * A pipeline is an ordered list of stages; each stage reads named pipeline tensors and writes new ones.
 * `inputs` / `outputs` map the stage's own port names (for ONNX stages: the model's input/output names) to
 * pipeline tensor names. Nothing is matched by position or guessed.
 */
export const SERVICE_SCHEMA_VERSION = 1;

/** The one pipeline input: a batch of encoded images (JPEG/PNG/WebP bytes). */
export const PIPELINE_INPUT = 'images';

export interface ServiceManifest {
  schemaVersion: typeof SERVICE_SCHEMA_VERSION;
  name: string;
  description?: string;
  /** tachyon version that wrote the zip. */
  createdWith: string;
  /** ISO 8601 timestamp with a zone, e.g. `2026-01-31T12:00:00Z`; also the zip entries' mtime. */
  createdAt: string;
  stages: StageManifest[];
  /** Every file of the zip but service.json, with its sha256 and size. */
  files: FileEntry[];
}

export interface FileEntry {
  /**
   * Relative POSIX path inside the zip, e.g. `models/featurizer.onnx`: segments of letters, digits, '_', '-', '.'
   * and '+' not starting with '.'; never `service.json`.
   */
  path: string;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
  /** Size in bytes. */
  size: number;
}

interface StageBase {
  /** Unique within the pipeline; a letter, then letters, digits, '_', '-' or '.' (at most 64). */
  name: string;
  /** Free text for people; ignored by the runtime. */
  description?: string;
  /** Port name -> pipeline tensor name. */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** images (encoded bytes) -> float32 tensor. Ports: in `images`, out `tensor`. */
export interface ImageStageManifest extends StageBase {
  kind: 'image';
  preprocess: PreprocessOptions;
}

/** Any ONNX model. Ports are the model's own input and output names. */
export interface OnnxStageManifest extends StageBase {
  kind: 'onnx';
  file: string;
  executionProviders?: ExecutionProvider[];
}

/**
 * A zoo backbone cut at its pooled-feature tensor (the file in the zip is the cut graph).
 * Ports are the cut model's input and output names.
 */
export interface FeaturizerStageManifest extends StageBase {
  kind: 'featurizer';
  /** Zoo id it was cut from, e.g. `resnet50-int8`. */
  model: string;
  /** The feature tensor the graph was cut at. */
  featureTensor: string;
  file: string;
  executionProviders?: ExecutionProvider[];
  /** Present when tachyon quantized the cut graph to int8 while saving; absent: the graph is stored as cut. */
  quantization?: FeaturizerQuantization;
}

/** How tachyon's own quantizer (docs/quantization.md) turned a featurizer's fp32 cut graph into int8 QDQ. */
export interface FeaturizerQuantization {
  /** Who quantized it: always 'tachyon' (the zoo id in `model` names the fp32 original). */
  tool: 'tachyon';
  /** Calibration method of the activation ranges. */
  method: 'minmax' | 'entropy' | 'percentile';
  /** Calibration images used, preprocessed with the zoo model's own preset. */
  samples: number;
  /** Weights with one scale per output channel (true) or per tensor. */
  perChannel: boolean;
  activationType: 'uint8' | 'int8';
  /** Only for method 'percentile': the percentile of |x| kept. */
  percentile?: number;
}

/** A Keras classifier in TensorFlow.js layers format. Ports: in `input`, out `output`. */
export interface KerasStageManifest extends StageBase {
  kind: 'keras';
  /** Path of model.json inside the zip; weight shards sit beside it. */
  file: string;
}

/** softmax (if logits) + top-k + labels. Ports: in `scores`; no tensor outputs (it produces the final result). */
export interface ClassifierStageManifest extends StageBase {
  kind: 'classifier';
  outputKind: 'logits' | 'probabilities';
  /** How many classes a result lists, 1..1000. Builders default it to 5; service.json always states it. */
  topK: number;
  /** Labels file inside the zip, one class per line. */
  labels: string;
}

export type StageManifest =
  | ImageStageManifest
  | OnnxStageManifest
  | FeaturizerStageManifest
  | KerasStageManifest
  | ClassifierStageManifest;

export type StageKind = StageManifest['kind'];
