import type { ResizeGeometry } from './resize-geometry.js';
import type { Normalizer } from './to-tensor.js';

/** Source index pairs and weights along one axis: sample i mixes `lo[i]` and `hi[i]` with weight `w[i]` on `hi`. */
interface AxisTable {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly w: Float32Array;
}

/**
 * Plain half-pixel bilinear (no antialiasing) as OpenCV `cv2.resize(INTER_LINEAR)` and ncnn
 * `from_pixels_resize` compute it: src = (dst + 0.5) * (srcSize / resizedSize) - 0.5, clamped to the image,
 * then normalized straight into `out`. OpenCV rounds to uint8 with 11-bit weights; here it stays float.
 */
export function bilinearToTensor(
  pixels: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  g: ResizeGeometry,
  n: Normalizer,
  out: Float32Array,
  offset: number,
): void {
  const stride = n.channels;
  const xs = axisTable(srcWidth, g.resizedWidth, g.left, g.width, stride);
  const ys = axisTable(srcHeight, g.resizedHeight, g.top, g.height, srcWidth * stride);
  const { src0, src1, src2, a0, a1, a2, b0, b1, b2 } = n;
  const plane = g.width * g.height;
  const pixStep = n.layout === 'NCHW' ? 1 : 3;
  const chStep = n.layout === 'NCHW' ? plane : 1;
  const xlo = xs.lo;
  const xhi = xs.hi;
  const xw = xs.w;
  let o = offset;
  for (let y = 0; y < g.height; y++) {
    const r0 = ys.lo[y]!;
    const r1 = ys.hi[y]!;
    const wy = ys.w[y]!;
    for (let x = 0; x < g.width; x++, o += pixStep) {
      const wx = xw[x]!;
      const p00 = r0 + xlo[x]!;
      const p01 = r0 + xhi[x]!;
      const p10 = r1 + xlo[x]!;
      const p11 = r1 + xhi[x]!;
      out[o] = lerp2(pixels, p00 + src0, p01 + src0, p10 + src0, p11 + src0, wx, wy) * a0 + b0;
      out[o + chStep] = lerp2(pixels, p00 + src1, p01 + src1, p10 + src1, p11 + src1, wx, wy) * a1 + b1;
      out[o + 2 * chStep] = lerp2(pixels, p00 + src2, p01 + src2, p10 + src2, p11 + src2, wx, wy) * a2 + b2;
    }
  }
}

function lerp2(s: Uint8Array, i00: number, i01: number, i10: number, i11: number, wx: number, wy: number): number {
  const top = s[i00]! + (s[i01]! - s[i00]!) * wx;
  const bottom = s[i10]! + (s[i11]! - s[i10]!) * wx;
  return top + (bottom - top) * wy;
}

/** `count` samples starting at `first` on an axis of `srcSize` pixels resized to `resizedSize`; indices times `step`. */
function axisTable(srcSize: number, resizedSize: number, first: number, count: number, step: number): AxisTable {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const w = new Float32Array(count);
  const scale = srcSize / resizedSize;
  const last = srcSize - 1;
  for (let i = 0; i < count; i++) {
    const f = Math.min(Math.max((i + first + 0.5) * scale - 0.5, 0), last);
    const i0 = Math.floor(f);
    lo[i] = i0 * step;
    hi[i] = Math.min(i0 + 1, last) * step;
    w[i] = f - i0;
  }
  return { lo, hi, w };
}
