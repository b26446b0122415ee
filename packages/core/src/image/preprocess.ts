import { antialiasToTensor } from './antialias-resize.js';
import { bilinearToTensor } from './bilinear-resize.js';
import { openImage, rawImage, toRawPixels, type RawPixels } from './decode.js';
import { decodeJpegTurbo } from './jpeg-turbo.js';
import { isPreprocessConfig, type PreprocessConfig } from './preprocess-options.js';
import { computeResizeGeometry, type ResizeGeometry } from './resize-geometry.js';
import { buildNormalizer, writeTensor } from './to-tensor.js';

/** Where to write one preprocessed image: `data[offset .. offset + tensorElementsPerImage(config))`. */
export interface TensorTarget<B extends ArrayBufferLike = ArrayBuffer> {
  data: Float32Array<B>;
  offset: number;
}

/** One preprocessed image: the tensor data (the caller's `out.data` when given) and the dims of that one image. */
export interface PreprocessedImage<B extends ArrayBufferLike = ArrayBuffer> {
  data: Float32Array<B>;
  dims: number[];
}

/** Floats one image takes: 3 * height * width. */
export function tensorElementsPerImage(config: PreprocessConfig): number {
  assertConfig(config);
  return 3 * config.size[0] * config.size[1];
}

/** [1, 3, H, W] for NCHW, [1, H, W, 3] for NHWC. */
export function tensorDimsPerImage(config: PreprocessConfig): number[] {
  assertConfig(config);
  const [h, w] = config.size;
  return config.layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3];
}

/**
 * Decodes one JPEG, PNG or WebP image (EXIF orientation applied, alpha flattened onto black, grey expanded to
 * three channels, 16-bit reduced to 8-bit), resizes, crops and normalizes it into a float32 tensor.
 * With `out`, writes at `out.offset` in `out.data` (for batching without copies) and returns that array;
 * otherwise allocates. Errors are TachyonErrors with TCH_ERR_IMAGE_* codes.
 */
export async function preprocessImage<B extends ArrayBufferLike = ArrayBuffer>(
  bytes: Uint8Array,
  config: PreprocessConfig,
  out?: TensorTarget<B>,
): Promise<PreprocessedImage<B>> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array.');
  const elements = tensorElementsPerImage(config);
  // Without `out`, B is its default ArrayBuffer, which is what a fresh Float32Array has.
  const target =
    out === undefined
      ? ({ data: new Float32Array(elements), offset: 0 } as TensorTarget<B>)
      : checkTarget(out, elements);
  const opened = await openImage(bytes, config);
  const g = computeResizeGeometry(opened.width, opened.height, config);
  const shrinking = g.resizedWidth <= opened.width && g.resizedHeight <= opened.height;
  const libvipsResize = config.interpolation === 'antialias' && shrinking;
  const decoded =
    opened.plainJpeg && !(libvipsResize && shrinksOnLoad(opened.width, opened.height, g))
      ? await decodeJpegTurbo(opened.plainJpeg, opened)
      : undefined;
  if (libvipsResize) {
    // libvips' reduce with the linear kernel is PIL's antialiased bilinear; JPEG shrink-on-load stays on.
    const image = (decoded ? rawImage(decoded) : opened.pipeline()).resize({
      width: g.resizedWidth,
      height: g.resizedHeight,
      fit: 'fill',
      kernel: 'linear',
      fastShrinkOnLoad: true,
    });
    if (g.width !== g.resizedWidth || g.height !== g.resizedHeight) {
      image.extract({ left: g.left, top: g.top, width: g.width, height: g.height });
    }
    const raw = await toRawPixels(image, opened.format, config);
    assertSize(raw, g.width, g.height);
    writeTensor(raw.data, g.width * g.height, buildNormalizer(config, raw.channels), target.data, target.offset);
  } else {
    const raw = decoded ?? (await toRawPixels(opened.pipeline(), opened.format, config));
    assertSize(raw, opened.width, opened.height);
    const resample = config.interpolation === 'antialias' ? antialiasToTensor : bilinearToTensor;
    resample(raw.data, raw.width, raw.height, g, buildNormalizer(config, raw.channels), target.data, target.offset);
  }
  return { data: target.data, dims: tensorDimsPerImage(config) };
}

/**
 * Whether libvips would decode this JPEG at 1/2, 1/4 or 1/8 scale (shrink-on-load, from a shrink factor of 2 up):
 * then sharp's DCT-domain shrink beats any full decode, so the fast path stays out of it.
 */
function shrinksOnLoad(width: number, height: number, g: ResizeGeometry): boolean {
  return Math.min(width / g.resizedWidth, height / g.resizedHeight) >= 2;
}

function assertConfig(config: PreprocessConfig): void {
  if (!isPreprocessConfig(config)) {
    throw new TypeError('config must be a PreprocessConfig from compilePreprocess() or PRESETS.');
  }
}

function checkTarget<B extends ArrayBufferLike>(out: TensorTarget<B>, elements: number): TensorTarget<B> {
  if (typeof out !== 'object' || out === null) throw new TypeError('out must be an object { data, offset }.');
  if (!(out.data instanceof Float32Array)) throw new TypeError('out.data must be a Float32Array.');
  if (!Number.isSafeInteger(out.offset) || out.offset < 0) {
    throw new RangeError(`out.offset must be a non-negative integer, not ${String(out.offset)}.`);
  }
  if (out.offset + elements > out.data.length) {
    throw new RangeError(
      `out.offset ${out.offset} leaves ${out.data.length - out.offset} floats in out.data, fewer than the ${elements} one image needs.`,
    );
  }
  return out;
}

function assertSize(raw: RawPixels, width: number, height: number): void {
  // Guards the neighbours of this image in a shared batch buffer; a mismatch would be a bug here, not bad input.
  if (raw.width !== width || raw.height !== height) {
    throw new Error(`Decoded image is ${raw.width}x${raw.height} instead of the expected ${width}x${height}.`);
  }
}
