/** How activation ranges are chosen from the calibration statistics. */
export const CALIBRATION_METHODS = ['minmax', 'entropy', 'percentile'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export const ACTIVATION_TYPES = ['uint8', 'int8'] as const;
export type ActivationType = (typeof ACTIVATION_TYPES)[number];

/** What `quantizeModel` does: user-facing, every field optional. */
export interface QuantizeOptions {
  /**
   * Activation range from the calibration runs: 'minmax' (observed min and max), 'entropy' (the clipping threshold
   * minimizing the KL divergence of the quantized histogram, TensorRT's method), 'percentile' (clip at `percentile`).
   * @default 'minmax'
   */
  method?: CalibrationMethod;
  /** Percentile of |x| kept by the 'percentile' method (each side of zero separately). @default 99.999 */
  percentile?: number;
  /** Weights quantized per output channel (symmetric int8, one scale per channel) instead of one scale per tensor. @default true */
  perChannel?: boolean;
  /** Activation element type (asymmetric, per tensor); uint8 is what onnxruntime's x86 kernels prefer (U8S8). @default 'uint8' */
  activationType?: ActivationType;
  /** Images per calibration run of the fp32 model. @default 8 */
  batchSize?: number;
  /**
   * Fold each BatchNormalization that follows a Conv into it before quantizing (the others stay fp32). @default true
   */
  foldBatchNorm?: boolean;
  /** Called after each calibration batch (for a progress bar). @default undefined */
  onProgress?: (done: number, total: number) => void;
}

export interface QuantizeConfig {
  readonly method: CalibrationMethod;
  readonly percentile: number;
  readonly perChannel: boolean;
  readonly activationType: ActivationType;
  readonly batchSize: number;
  readonly foldBatchNorm: boolean;
  readonly onProgress: ((done: number, total: number) => void) | undefined;
}

export const QUANTIZE_DEFAULTS: QuantizeConfig = Object.freeze({
  method: 'minmax',
  percentile: 99.999,
  perChannel: true,
  activationType: 'uint8',
  batchSize: 8,
  foldBatchNorm: true,
  onProgress: undefined,
});

export function compileQuantize(options: QuantizeOptions = {}): QuantizeConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be a QuantizeOptions object.');
  const c = {
    ...QUANTIZE_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as QuantizeConfig;
  if (!CALIBRATION_METHODS.includes(c.method))
    throw new TypeError(
      `options.method must be one of ${CALIBRATION_METHODS.join(', ')}, not ${JSON.stringify(c.method)}.`,
    );
  if (!ACTIVATION_TYPES.includes(c.activationType))
    throw new TypeError(`options.activationType must be 'uint8' or 'int8', not ${JSON.stringify(c.activationType)}.`);
  if (typeof c.percentile !== 'number' || !(c.percentile > 50 && c.percentile <= 100))
    throw new RangeError(`options.percentile must be in (50, 100], not ${c.percentile}.`);
  if (typeof c.perChannel !== 'boolean') throw new TypeError('options.perChannel must be a boolean.');
  if (typeof c.foldBatchNorm !== 'boolean') throw new TypeError('options.foldBatchNorm must be a boolean.');
  if (!Number.isSafeInteger(c.batchSize) || c.batchSize < 1)
    throw new RangeError(`options.batchSize must be an integer >= 1, not ${c.batchSize}.`);
  if (c.onProgress !== undefined && typeof c.onProgress !== 'function')
    throw new TypeError('options.onProgress must be a function.');
  return Object.freeze({
    method: c.method,
    percentile: c.percentile,
    perChannel: c.perChannel,
    activationType: c.activationType,
    batchSize: c.batchSize,
    foldBatchNorm: c.foldBatchNorm,
    onProgress: c.onProgress,
  });
}
