import type { ResizeGeometry } from './resize-geometry.js';
import type { Normalizer } from './to-tensor.js';

/** Per output sample along one axis: taps `first[i] .. first[i] + taps[i] - 1`, weights at `weights[i * width]`. */
interface FilterTable {
  readonly first: Int32Array;
  readonly taps: Int32Array;
  readonly weights: Float32Array;
  readonly width: number;
}

/**
 * PIL's `Image.resize(BILINEAR)` (what torchvision `Resize` runs on PIL images): a separable triangle filter
 * whose support widens with the shrink factor, horizontal pass first, then the crop window of the result is
 * normalized into `out`. Kept in float where PIL rounds to uint8 after each pass.
 *
 * Used where libvips differs from PIL: libvips' upsampling samples half an output pixel off PIL's grid, so
 * images smaller than the target (on either axis) come here; shrinking stays in libvips (SIMD, shrink-on-load).
 */
export function antialiasToTensor(
  pixels: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  g: ResizeGeometry,
  n: Normalizer,
  out: Float32Array,
  offset: number,
): void {
  const xs = triangleTable(srcWidth, g.resizedWidth, g.left, g.width);
  const ys = triangleTable(srcHeight, g.resizedHeight, g.top, g.height);
  const rowFirst = ys.first[0]!;
  const rowEnd = ys.first[g.height - 1]! + ys.taps[g.height - 1]!;
  const stride = n.channels;
  const rowLength = g.width * 3;
  // Horizontal pass over only the rows the vertical pass reads, already in output channel order.
  const tmp = new Float32Array((rowEnd - rowFirst) * rowLength);
  for (let y = rowFirst; y < rowEnd; y++) {
    const srcRow = y * srcWidth * stride;
    let t = (y - rowFirst) * rowLength;
    for (let x = 0; x < g.width; x++, t += 3) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      const k = x * xs.width;
      const taps = xs.taps[x]!;
      let p = srcRow + xs.first[x]! * stride;
      for (let j = 0; j < taps; j++, p += stride) {
        const w = xs.weights[k + j]!;
        s0 += pixels[p + n.src0]! * w;
        s1 += pixels[p + n.src1]! * w;
        s2 += pixels[p + n.src2]! * w;
      }
      tmp[t] = s0;
      tmp[t + 1] = s1;
      tmp[t + 2] = s2;
    }
  }
  const plane = g.width * g.height;
  const pixStep = n.layout === 'NCHW' ? 1 : 3;
  const chStep = n.layout === 'NCHW' ? plane : 1;
  const { a0, a1, a2, b0, b1, b2 } = n;
  let o = offset;
  for (let y = 0; y < g.height; y++) {
    const k = y * ys.width;
    const taps = ys.taps[y]!;
    const base = (ys.first[y]! - rowFirst) * rowLength;
    for (let x = 0, xi = 0; x < g.width; x++, xi += 3, o += pixStep) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0, t = base + xi; j < taps; j++, t += rowLength) {
        const w = ys.weights[k + j]!;
        s0 += tmp[t]! * w;
        s1 += tmp[t + 1]! * w;
        s2 += tmp[t + 2]! * w;
      }
      out[o] = s0 * a0 + b0;
      out[o + chStep] = s1 * a1 + b1;
      out[o + 2 * chStep] = s2 * a2 + b2;
    }
  }
}

/** PIL ImagingResample's coefficients for output samples `first .. first + count - 1` of an axis resized to `resizedSize`. */
function triangleTable(srcSize: number, resizedSize: number, firstOut: number, count: number): FilterTable {
  const scale = srcSize / resizedSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's support is 1, widened by the shrink factor
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(count);
  const taps = new Int32Array(count);
  const weights = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    const center = (i + firstOut + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), srcSize);
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = Math.max(0, 1 - Math.abs((x - center + 0.5) / filterScale));
      weights[i * width + x - lo] = w;
      sum += w;
    }
    for (let j = i * width; j < i * width + hi - lo; j++) weights[j] = weights[j]! / sum;
    first[i] = lo;
    taps[i] = hi - lo;
  }
  return { first, taps, weights, width };
}
