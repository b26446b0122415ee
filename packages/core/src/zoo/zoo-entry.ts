import type { PresetName } from '../image/presets.js';

/** One frozen catalog entry: where a model comes from, how to check it, and how to feed it. */
export interface ZooEntry {
  /** `<family>-<dtype>`, e.g. `resnet50-int8`. */
  readonly id: string;
  readonly family: string;
  readonly dtype: 'fp32' | 'int8';
  /** Official download URL; absent for models that only resolve from a cache or mirror folder. */
  readonly url?: string;
  /** File name in the cache and in mirror folders. */
  readonly fileName: string;
  readonly sha256: string;
  /** Bytes. */
  readonly size: number;
  /** Input tensor name. */
  readonly input: string;
  /** Output tensor name (class scores). */
  readonly output: string;
  /** Input dims; -1 marks a dynamic dimension. */
  readonly inputShape: readonly number[];
  /** Whether the output is raw logits (softmax applied for scores) or already probabilities. */
  readonly outputKind: 'logits' | 'probabilities';
  /** Preprocessing preset name (core/image). */
  readonly preset: PresetName;
  readonly opset: number;
  /** Published accuracy, and where it is stated. */
  readonly accuracy?: { readonly top1: number; readonly top5: number; readonly source: string };
  /** The pooled-feature tensor before the final classifier, where known. */
  readonly featureTensor?: string;
  readonly description: string;
}
