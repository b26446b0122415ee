/** How the image is brought to the output size. */
export type ResizeMode = 'short-side-crop' | 'stretch';
/** 'antialias' = PIL/torchvision bilinear (triangle filter widened when shrinking); 'bilinear' = OpenCV INTER_LINEAR. */
export type Interpolation = 'antialias' | 'bilinear';
export type ChannelOrder = 'RGB' | 'BGR';
export type TensorLayout = 'NCHW' | 'NHWC';

/** Image preprocessing as written by users; every field optional. */
export interface PreprocessOptions {
  /**
   * 'short-side-crop': resize so the short side is `resizeShortSide` (long side truncated as torchvision
   * `Resize(int)` does), then centre-crop to `size` (offsets rounded half-to-even, as torchvision `CenterCrop`).
   * 'stretch': resize the whole image to `size`, ignoring the aspect ratio.
   * @default 'short-side-crop'
   */
  resize?: ResizeMode;
  /** Short side after resizing, for 'short-side-crop'; at least the larger of `size`. @default 256 */
  resizeShortSide?: number;
  /** Output [height, width]. @default [224, 224] */
  size?: readonly [number, number];
  /**
   * 'antialias': PIL/torchvision-style bilinear done by libvips (linear kernel, widened when shrinking; JPEG
   * shrink-on-load allowed). 'bilinear': plain half-pixel bilinear without antialiasing, as OpenCV
   * `INTER_LINEAR` and ncnn `from_pixels_resize` compute it (edges clamped).
   * @default 'antialias'
   */
  interpolation?: Interpolation;
  /** Channel order of the output tensor. @default 'RGB' */
  channelOrder?: ChannelOrder;
  /** Each pixel value (0..255) is multiplied by this before mean/std. @default 1/255 */
  scale?: number;
  /** Per channel, in the OUTPUT channel order. @default [0.485, 0.456, 0.406] (ImageNet) */
  mean?: readonly [number, number, number];
  /** Per channel, in the OUTPUT channel order; all non-zero. @default [0.229, 0.224, 0.225] (ImageNet) */
  std?: readonly [number, number, number];
  /** @default 'NCHW' */
  layout?: TensorLayout;
  /** Larger encoded images are refused before any decoding. @default 20 MiB */
  maxInputBytes?: number;
  /** Images whose header declares more pixels are refused before any decoding. @default 40_000_000 */
  maxPixels?: number;
}

/** A validated, frozen PreprocessOptions with every field set; made by `compilePreprocess`. */
export interface PreprocessConfig extends Readonly<Required<PreprocessOptions>> {}

/** The one defaults object for PreprocessOptions. */
export const PREPROCESS_DEFAULTS: PreprocessConfig = Object.freeze({
  resize: 'short-side-crop',
  resizeShortSide: 256,
  size: Object.freeze([224, 224] as const),
  interpolation: 'antialias',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: Object.freeze([0.485, 0.456, 0.406] as const),
  std: Object.freeze([0.229, 0.224, 0.225] as const),
  layout: 'NCHW',
  maxInputBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
});

/** Largest side accepted for `size` and `resizeShortSide` (libvips' own limit is far above this). */
export const MAX_IMAGE_SIDE = 16384;

const KNOWN_FIELDS = new Set(Object.keys(PREPROCESS_DEFAULTS));
const compiled = new WeakSet<object>();

/** Validates options (TypeError/RangeError naming the field) and returns a frozen config with every field set. */
export function compilePreprocess(options: PreprocessOptions = {}): PreprocessConfig {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('options must be an object.');
  }
  if (compiled.has(options)) return options as PreprocessConfig;
  for (const key of Object.keys(options)) {
    if (!KNOWN_FIELDS.has(key)) throw new TypeError(`options.${key} is not a preprocessing option.`);
  }
  const o = { ...PREPROCESS_DEFAULTS, ...withoutUndefined(options) };
  const size = pair('size', o.size);
  const config: PreprocessConfig = {
    resize: oneOf('resize', o.resize, ['short-side-crop', 'stretch']),
    resizeShortSide: side('resizeShortSide', o.resizeShortSide),
    size: Object.freeze([side('size[0]', size[0]), side('size[1]', size[1])] as const),
    interpolation: oneOf('interpolation', o.interpolation, ['antialias', 'bilinear']),
    channelOrder: oneOf('channelOrder', o.channelOrder, ['RGB', 'BGR']),
    scale: finite('scale', o.scale, (v) => v > 0, 'a positive number'),
    mean: triple('mean', o.mean, () => true, 'finite numbers'),
    std: triple('std', o.std, (v) => v !== 0, 'finite non-zero numbers'),
    layout: oneOf('layout', o.layout, ['NCHW', 'NHWC']),
    maxInputBytes: positiveInteger('maxInputBytes', o.maxInputBytes),
    maxPixels: positiveInteger('maxPixels', o.maxPixels),
  };
  if (config.resize === 'short-side-crop' && config.resizeShortSide < Math.max(...config.size)) {
    throw new RangeError(
      `options.resizeShortSide (${config.resizeShortSide}) must be at least the larger side of options.size (${Math.max(...config.size)}).`,
    );
  }
  Object.freeze(config);
  compiled.add(config);
  return config;
}

/** True for configs made by `compilePreprocess` (the only ones `preprocessImage` accepts). */
export function isPreprocessConfig(value: unknown): value is PreprocessConfig {
  return typeof value === 'object' && value !== null && compiled.has(value);
}

function withoutUndefined(options: object): Partial<PreprocessOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`options.${field} must be a string.`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`options.${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, not '${value}'.`);
  }
  return value as T;
}

function finite(field: string, value: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`options.${field} must be a number.`);
  if (!Number.isFinite(value) || !ok(value)) throw new RangeError(`options.${field} must be ${what}, not ${value}.`);
  return value;
}

function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`options.${field} must be a number.`);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`options.${field} must be a positive integer, not ${value}.`);
  return value;
}

function side(field: string, value: unknown): number {
  const n = positiveInteger(field, value);
  if (n > MAX_IMAGE_SIDE) throw new RangeError(`options.${field} must be at most ${MAX_IMAGE_SIDE}, not ${n}.`);
  return n;
}

function pair(field: string, value: unknown): readonly [unknown, unknown] {
  if (!Array.isArray(value)) throw new TypeError(`options.${field} must be an array [height, width].`);
  if (value.length !== 2) throw new RangeError(`options.${field} must have 2 elements, not ${value.length}.`);
  return value as unknown as readonly [unknown, unknown];
}

function triple(
  field: string,
  value: unknown,
  ok: (v: number) => boolean,
  what: string,
): readonly [number, number, number] {
  if (!Array.isArray(value)) throw new TypeError(`options.${field} must be an array of 3 numbers.`);
  if (value.length !== 3) throw new RangeError(`options.${field} must have 3 elements, not ${value.length}.`);
  const out = value.map((v: unknown, i) => finite(`${field}[${i}]`, v, ok, what));
  return Object.freeze(out) as unknown as readonly [number, number, number];
}
