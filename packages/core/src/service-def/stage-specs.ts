import type { ExecutionProvider } from '../backends/session-options.js';
import type { PreprocessOptions } from '../image/preprocess-options.js';
import { PRESETS, type PresetName } from '../image/presets.js';
import {
  compileFeaturizerQuantize,
  type FeaturizerQuantizeConfig,
  type FeaturizerQuantizeOptions,
} from './featurizer-quantize.js';

export type { FeaturizerQuantizeConfig, FeaturizerQuantizeOptions } from './featurizer-quantize.js';

/**
 * Stages as a user builds them, before saving: they may name sources outside the definition (a zoo id, an .onnx
 * file, a Keras folder). `ServiceDefinition.save()` turns each into one or more manifest stages plus files.
 * Port maps (`inputs`/`outputs`) are optional here: left out, a stage reads the main output of the stage before it
 * and writes the tensor named in the builder's doc. The saved service.json always spells every map out.
 */
export type StageSpec =
  | ImageStageSpec
  | FeaturizerStageSpec
  | DefaultClassifierSpec
  | OnnxStageSpec
  | KerasStageSpec
  | ClassifierStageSpec;

export interface PortMaps {
  /** Stage port -> pipeline tensor. */
  inputs?: Record<string, string>;
  outputs?: Record<string, string>;
}

export interface ImageStageSpec extends PortMaps {
  kind: 'image';
  name: string;
  preprocess: PreprocessOptions;
}

export interface FeaturizerStageSpec extends PortMaps {
  kind: 'featurizer';
  name: string;
  family: string;
  dtype: 'fp32' | 'int8';
  executionProviders?: ExecutionProvider[];
  /** Quantize the fp32 cut graph to int8 on save (featurizerStage's `quantize` option, compiled). */
  quantize?: FeaturizerQuantizeConfig;
}

export interface DefaultClassifierSpec {
  kind: 'default-classifier';
  name: string;
  topK: number;
}

export interface OnnxStageSpec extends PortMaps {
  kind: 'onnx';
  name: string;
  source: string;
  executionProviders?: ExecutionProvider[];
}

export interface KerasStageSpec extends PortMaps {
  kind: 'keras';
  name: string;
  /** Folder holding model.json and its weight shards. */
  source: string;
}

export interface ClassifierStageSpec extends PortMaps {
  kind: 'classifier';
  name: string;
  outputKind: 'logits' | 'probabilities';
  topK: number;
  labels: readonly string[];
}

/** image bytes -> `pixels` (float32). `preset` is a preset name or full preprocessing options. @default 'torchvision224' */
export function imageStage(
  preset: PresetName | PreprocessOptions = 'torchvision224',
  options: PortMaps & { name?: string } = {},
): ImageStageSpec {
  const preprocess = typeof preset === 'string' ? presetOptions(preset) : { ...preset };
  return { kind: 'image', name: options.name ?? 'preprocess', preprocess, ...ports(options) };
}

export interface FeaturizerStageOptions extends PortMaps {
  /** Zoo precision: `resnet50` + 'int8' means `resnet50-int8`. @default 'fp32' */
  dtype?: 'fp32' | 'int8';
  /** @default 'featurizer' */
  name?: string;
  executionProviders?: ExecutionProvider[];
  /**
   * Quantize the fp32 cut graph to int8 with tachyon's quantizer when the definition is saved, calibrated on these
   * images (docs/quantization.md); service.json records it as the stage's `quantization`. Needs dtype 'fp32'.
   * @default undefined (stored as cut)
   */
  quantize?: FeaturizerQuantizeOptions;
}

/** A zoo backbone (`resnet50`, `mobilenetv2`, ...) cut at its pooled-feature tensor -> `features`. @default dtype 'fp32' */
export function featurizerStage(family: string, options: FeaturizerStageOptions = {}): FeaturizerStageSpec {
  if (typeof family !== 'string' || family === '')
    throw new TypeError('family: expected a zoo model family such as "resnet50"');
  const dtype = options.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'int8') throw new TypeError('dtype: expected "fp32" or "int8"');
  if (options.quantize !== undefined && dtype !== 'fp32') {
    throw new TypeError('options.quantize: needs dtype "fp32" (the int8 zoo model is quantized already)');
  }
  const spec: FeaturizerStageSpec = {
    kind: 'featurizer',
    name: options.name ?? 'featurizer',
    family,
    dtype,
    ...ports(options),
  };
  if (options.executionProviders) spec.executionProviders = [...options.executionProviders];
  if (options.quantize !== undefined) spec.quantize = compileFeaturizerQuantize(options.quantize);
  return spec;
}

/** The featurizer's own ImageNet head (features -> `scores`) followed by softmax + top-k + the ImageNet labels. */
export function defaultClassifier(options: { topK?: number; name?: string } = {}): DefaultClassifierSpec {
  return { kind: 'default-classifier', name: options.name ?? 'classifier', topK: checkTopK(options.topK ?? 5) };
}

/** Any ONNX model file; ports are the model's input and output names. */
export function onnxStage(
  source: string,
  options: PortMaps & { name?: string; executionProviders?: ExecutionProvider[] } = {},
): OnnxStageSpec {
  if (typeof source !== 'string' || source === '') throw new TypeError('source: expected the path of an .onnx file');
  const spec: OnnxStageSpec = { kind: 'onnx', name: options.name ?? 'onnx', source, ...ports(options) };
  if (options.executionProviders) spec.executionProviders = [...options.executionProviders];
  return spec;
}

/** A Keras classifier in TensorFlow.js layers format (folder with model.json); ports `input` and `output`. */
export function kerasStage(source: string, options: PortMaps & { name?: string } = {}): KerasStageSpec {
  if (typeof source !== 'string' || source === '')
    throw new TypeError('source: expected the folder holding model.json');
  return { kind: 'keras', name: options.name ?? 'keras', source, ...ports(options) };
}

/** softmax (for logits) + top-k + labels; port `scores`. */
export function classifierStage(
  options: PortMaps & {
    labels: readonly string[];
    outputKind?: 'logits' | 'probabilities';
    topK?: number;
    name?: string;
  },
): ClassifierStageSpec {
  if (!Array.isArray(options.labels) || options.labels.length === 0)
    throw new TypeError('labels: expected a non-empty array of class names');
  return {
    kind: 'classifier',
    name: options.name ?? 'classifier',
    outputKind: options.outputKind ?? 'logits',
    topK: checkTopK(options.topK ?? 5),
    labels: [...options.labels],
    ...ports(options),
  };
}

function presetOptions(name: PresetName): PreprocessOptions {
  const preset = PRESETS[name];
  if (!preset) throw new TypeError(`preset: unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})`);
  const { maxInputBytes: _bytes, maxPixels: _pixels, ...rest } = preset;
  return {
    ...rest,
    size: [...rest.size] as [number, number],
    mean: [...rest.mean] as [number, number, number],
    std: [...rest.std] as [number, number, number],
  };
}

function ports(options: PortMaps): PortMaps {
  const result: PortMaps = {};
  if (options.inputs) result.inputs = { ...options.inputs };
  if (options.outputs) result.outputs = { ...options.outputs };
  return result;
}

function checkTopK(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new RangeError(`topK: expected an integer in 1..1000, got ${k}`);
  return k;
}
