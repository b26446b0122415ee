import type { PreprocessConfig, TensorLayout } from './preprocess-options.js';

/**
 * Normalization folded into one multiply-add per value: out[k] = pixel[src[k]] * a[k] + b[k], with
 * a = scale / std and b = -mean / std for output channel k, and src[k] the interleaved source channel feeding it.
 */
export interface Normalizer {
  readonly channels: number;
  readonly src0: number;
  readonly src1: number;
  readonly src2: number;
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly layout: TensorLayout;
}

/** `channels` is the interleaved source's channel count: 1 or 2 (grey, grey+alpha) or 3 or 4 (RGB, RGBA); alpha is never read. */
export function buildNormalizer(config: PreprocessConfig, channels: number): Normalizer {
  const grey = channels < 3;
  const bgr = config.channelOrder === 'BGR';
  const { scale, mean, std } = config;
  return {
    channels,
    src0: grey ? 0 : bgr ? 2 : 0,
    src1: grey ? 0 : 1,
    src2: grey ? 0 : bgr ? 0 : 2,
    a0: scale / std[0],
    a1: scale / std[1],
    a2: scale / std[2],
    b0: -mean[0] / std[0],
    b1: -mean[1] / std[1],
    b2: -mean[2] / std[2],
    layout: config.layout,
  };
}

/** Writes `pixelCount` interleaved uint8 pixels into `out` at `offset` as one normalized image. */
export function writeTensor(
  pixels: Uint8Array,
  pixelCount: number,
  n: Normalizer,
  out: Float32Array,
  offset: number,
): void {
  const { channels: stride, src0, src1, src2, a0, a1, a2, b0, b1, b2 } = n;
  if (n.layout === 'NCHW') {
    const o1 = offset + pixelCount;
    const o2 = o1 + pixelCount;
    for (let i = 0, p = 0; i < pixelCount; i++, p += stride) {
      out[offset + i] = pixels[p + src0]! * a0 + b0;
      out[o1 + i] = pixels[p + src1]! * a1 + b1;
      out[o2 + i] = pixels[p + src2]! * a2 + b2;
    }
  } else {
    for (let i = 0, p = 0, o = offset; i < pixelCount; i++, p += stride, o += 3) {
      out[o] = pixels[p + src0]! * a0 + b0;
      out[o + 1] = pixels[p + src1]! * a1 + b1;
      out[o + 2] = pixels[p + src2]! * a2 + b2;
    }
  }
}
