import type { ActivationType } from './quantize-options.js';

export interface ActivationParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Asymmetric per-tensor parameters covering [lo, hi] (which holds 0, so 0 is exactly representable). */
export function activationParams(lo: number, hi: number, type: ActivationType): ActivationParams {
  const low = Math.min(lo, 0);
  const high = Math.max(hi, 0);
  const [qmin, qmax] = type === 'uint8' ? [0, 255] : [-128, 127];
  if (!(high - low > 0) || !Number.isFinite(high - low)) return { scale: 1, zeroPoint: type === 'uint8' ? 0 : 0 };
  const scale = (high - low) / (qmax - qmin);
  const zeroPoint = Math.max(qmin, Math.min(qmax, Math.round(qmin - low / scale)));
  return { scale, zeroPoint };
}

export interface WeightQuantization {
  values: Int8Array;
  /** One scale per channel along `axis` (or one in all when per tensor). */
  scales: Float32Array;
}

/**
 * Symmetric int8 weights in [-127, 127] with zero point 0, one scale per slice along `axis` (or one for the whole
 * tensor). `minScales` raises a channel's scale where its int32 bias would otherwise overflow.
 */
export function quantizeWeights(
  w: Float32Array,
  dims: readonly number[],
  axis: number | undefined,
  minScales?: Float32Array,
): WeightQuantization {
  const channels = axis === undefined ? 1 : dims[axis]!;
  const inner = axis === undefined ? 1 : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const absMax = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(w[i]!);
    if (a > absMax[c]!) absMax[c] = a;
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = absMax[c]! / 127;
    scales[c] = Math.max(s > 0 ? s : 1, minScales?.[c] ?? 0);
  }
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++)
    values[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scales[channelOf(i)]!)));
  return { values, scales };
}

const INT32_LIMIT = 2 ** 31 - 1;

/** int32 bias with scale inputScale * weightScale[c] (zero point 0), as onnxruntime's QLinearConv/QGemm expect. */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const values = new Int32Array(bias.length);
  const scales = new Float32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = inputScale * weightScales[weightScales.length === 1 ? 0 : c]!;
    scales[c] = s;
    values[c] = Math.max(-INT32_LIMIT, Math.min(INT32_LIMIT, Math.round(bias[c]! / s)));
  }
  return { values, scales };
}

/** Per-channel lower bounds on weight scales so that |bias / (inputScale * weightScale)| stays well inside int32. */
export function biasSafeScales(bias: Float32Array, inputScale: number): Float32Array {
  return bias.map((b) => Math.abs(b) / (inputScale * 2 ** 30));
}
