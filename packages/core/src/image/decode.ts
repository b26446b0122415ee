import { TachyonError } from '@tachyon-serve/protocol';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { readJpegHeader } from './jpeg-header.js';
import { sniffImageFormat, SUPPORTED_IMAGE_FORMATS, type ImageFormat } from './image-format.js';
import type { PreprocessConfig } from './preprocess-options.js';

/** An image whose header was read and checked; nothing decoded yet. */
export interface OpenedImage {
  /** A new sharp pipeline with EXIF auto-orientation and alpha flattened onto black (made only when sharp decodes). */
  pipeline(): Sharp;
  readonly format: ImageFormat;
  /** Size after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** The bytes themselves, when they are a JPEG whose header was read here and that needs no EXIF rotation: libjpeg-turbo can decode them directly (jpeg-turbo.ts). */
  readonly plainJpeg?: Uint8Array;
}

/** Interleaved 8-bit pixels: 3 channels for colour and grey input alike (sharp converts grey to sRGB). */
export interface RawPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

const BLACK = Object.freeze({ r: 0, g: 0, b: 0 });

/**
 * Checks size, magic bytes and header (format, declared pixels) without decoding pixel data.
 * Alpha is flattened onto black before any resize, so transparent areas read as black in every path.
 */
export async function openImage(bytes: Uint8Array, config: PreprocessConfig): Promise<OpenedImage> {
  if (bytes.length === 0) throw new TachyonError('TCH_ERR_IMAGE_EMPTY', 'The image has zero bytes.');
  if (bytes.length > config.maxInputBytes) {
    throw new TachyonError(
      'TCH_ERR_IMAGE_TOO_LARGE',
      `The image has ${bytes.length} bytes, more than the maximum of ${config.maxInputBytes}.`,
      { details: { bytes: bytes.length, maxInputBytes: config.maxInputBytes } },
    );
  }
  const sniffed = sniffImageFormat(bytes);
  if (sniffed === undefined) throw unsupported(undefined);
  const options = sharpInputOptions(config);
  // A plain JPEG header is read here (one sharp call fewer per image); anything else asks libvips.
  const jpeg = sniffed === 'jpeg' ? readJpegHeader(bytes) : undefined;
  let format: string;
  let width: number;
  let height: number;
  let oriented: { width: number; height: number };
  if (jpeg) {
    ({ width, height } = jpeg);
    format = 'jpeg';
    // Orientations 5..8 turn the image a quarter, swapping width and height (as sharp's autoOrient does).
    oriented = jpeg.orientation >= 5 ? { width: height, height: width } : { width, height };
  } else {
    let meta: Metadata;
    try {
      // Header only; the limit is checked just below so the error can name the declared size.
      meta = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
    } catch (cause) {
      throw decodeError(cause, sniffed, config);
    }
    ({ format, width, height } = meta as { format: string; width: number; height: number });
    oriented = { width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height };
  }
  if (!(SUPPORTED_IMAGE_FORMATS as readonly string[]).includes(format)) throw unsupported(format);
  if (width * height > config.maxPixels) throw tooManyPixels(config, width, height);
  return {
    // limitInputPixels stays on for decoding, so the limit never rests on the check above alone.
    pipeline: () => sharp(bytes, options).flatten({ background: BLACK }),
    format: format as ImageFormat,
    width: oriented.width,
    height: oriented.height,
    ...(jpeg?.orientation === 1 ? { plainJpeg: bytes } : {}),
  };
}

/** A sharp pipeline over already decoded pixels. */
export function rawImage(pixels: RawPixels): Sharp {
  return sharp(pixels.data, {
    raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 2 | 3 | 4 },
  });
}

/** Runs the pipeline to interleaved uint8 pixels, mapping decoder failures to TachyonErrors. */
export async function toRawPixels(image: Sharp, format: ImageFormat, config: PreprocessConfig): Promise<RawPixels> {
  try {
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (cause) {
    throw decodeError(cause, format, config);
  }
}

/**
 * - failOn 'error': truncated data and decoder errors fail; libjpeg *warnings* (e.g. "extraneous bytes before
 *   marker", common in camera files that PIL and OpenCV accept) do not.
 * - ignoreIcc: pixels are taken as sRGB like PIL and OpenCV read them, which is what the models were trained on.
 */
function sharpInputOptions(config: PreprocessConfig): SharpOptions {
  return {
    failOn: 'error',
    limitInputPixels: config.maxPixels,
    autoOrient: true,
    ignoreIcc: true,
    sequentialRead: true,
  };
}

function decodeError(cause: unknown, format: ImageFormat, config: PreprocessConfig): TachyonError {
  const message = cause instanceof Error ? cause.message : '';
  if (/pixel limit/i.test(message)) return tooManyPixels(config, undefined, undefined, cause);
  if (/unsupported image format/i.test(message)) return unsupported(undefined, cause);
  return new TachyonError(
    'TCH_ERR_IMAGE_CORRUPT',
    `The ${format} image cannot be decoded because it is truncated or damaged.`,
    {
      details: { format },
      cause,
    },
  );
}

function unsupported(format: string | undefined, cause?: unknown): TachyonError {
  const message =
    format === undefined
      ? 'The bytes are not a JPEG, PNG or WebP image.'
      : `The image format "${format}" is not supported, only JPEG, PNG and WebP are.`;
  const details =
    format === undefined
      ? { supported: [...SUPPORTED_IMAGE_FORMATS] }
      : { format, supported: [...SUPPORTED_IMAGE_FORMATS] };
  return new TachyonError('TCH_ERR_IMAGE_UNSUPPORTED_FORMAT', message, { details, cause });
}

function tooManyPixels(config: PreprocessConfig, width?: number, height?: number, cause?: unknown): TachyonError {
  const size = width === undefined ? 'more pixels' : `${width}x${height} pixels, more`;
  return new TachyonError(
    'TCH_ERR_IMAGE_TOO_MANY_PIXELS',
    `The image header declares ${size} than the maximum of ${config.maxPixels}.`,
    {
      details: width === undefined ? { maxPixels: config.maxPixels } : { width, height, maxPixels: config.maxPixels },
      cause,
    },
  );
}
