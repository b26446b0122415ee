import { compilePreprocess } from '../image/preprocess-options.js';
import type { TensorInfo } from '../graph/tensor-info.js';
import type { ImageStageManifest, StageManifest } from './manifest.js';

/**
 * A stage's real ports, read by the loader from its model (ONNX session metadata, Keras model.json), as core/graph's
 * `TensorInfo` ({ name, dtype, dims }, -1 for a dynamic dimension).
 */
export interface StageIo {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

/**
 * Supplies the real ports of a stage, or undefined when it cannot (or need not) say; io checks touching that stage
 * are then skipped. Called for 'onnx', 'featurizer' and 'keras' stages ('image' and 'classifier' ports are fixed).
 * For Keras stages the port names are 'input' and 'output'.
 */
export type StageIoResolver = (stage: StageManifest, index: number) => StageIo | undefined;

/** The tensor an image stage produces at its `tensor` port: float32 [-1, 3, H, W] (NCHW) or [-1, H, W, 3] (NHWC). */
export function imageStageOutput(stage: ImageStageManifest): TensorInfo {
  const config = compilePreprocess(stage.preprocess);
  const [height, width] = config.size;
  const dims = config.layout === 'NCHW' ? [-1, 3, height, width] : [-1, height, width, 3];
  return Object.freeze({ name: 'tensor', dtype: 'float32', dims: Object.freeze(dims) });
}

/** '[-1, 3, 224, 224]' with '?' for dynamic dims, for messages. */
export function formatDims(dims: readonly number[]): string {
  return `[${dims.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

/** Same rank, and every dimension fixed on both sides equal. */
export function dimsCompatible(produced: readonly number[], expected: readonly number[]): boolean {
  if (produced.length !== expected.length) return false;
  return produced.every((d, i) => d < 0 || expected[i]! < 0 || d === expected[i]);
}

/**
 * The number of classes a classifier reads from scores of these dims: the product of every dimension after the
 * batch one ([N, 1000] and [N, 1000, 1, 1] both give 1000), or undefined when one of them is dynamic.
 */
export function classCount(dims: readonly number[]): number | undefined {
  if (dims.length < 2) return undefined;
  let count = 1;
  for (const d of dims.slice(1)) {
    if (d < 0) return undefined;
    count *= d;
  }
  return count;
}
