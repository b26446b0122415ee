import { TachyonError } from '@tachyon-serve/protocol';
import type { OnnxModel } from '../graph/onnx-model.js';
import { presetByName } from '../image/presets.js';
import { imageCalibrationSet, listImageFiles, spreadSample } from '../quantize/image-calibration-set.js';
import { quantizeModel, type QuantizeReport } from '../quantize/quantize-model.js';
import { compileQuantize, type QuantizeConfig, type QuantizeOptions } from '../quantize/quantize-options.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';
import type { FeaturizerQuantization } from './manifest.js';

/**
 * `featurizerStage(family, { quantize })`: the fp32 featurizer's cut graph is quantized to int8 (QDQ, tachyon's own
 * quantizer, docs/quantization.md) when the definition is saved, calibrated on these images preprocessed with the
 * zoo model's own preset. Every `QuantizeOptions` field but `onProgress` (see `SaveServiceOptions.onProgress`).
 */
export interface FeaturizerQuantizeOptions extends Omit<QuantizeOptions, 'onProgress'> {
  /** Calibration images: a folder (its JPEG/PNG/WebP files sorted by name, not recursive) or a list of image files. */
  calibration: string | readonly string[];
  /** At most this many calibration images, spread evenly over the sorted list (as `tachyon quantize --samples`). @default 200 */
  samples?: number;
}

export interface FeaturizerQuantizeConfig extends Omit<QuantizeConfig, 'onProgress'> {
  readonly calibration: string | readonly string[];
  readonly samples: number;
}

export const FEATURIZER_QUANTIZE_DEFAULTS = Object.freeze({ samples: 200 });

/** Checks `options` as `featurizerStage` receives it; errors name `options.quantize.<field>`. */
export function compileFeaturizerQuantize(options: FeaturizerQuantizeOptions): FeaturizerQuantizeConfig {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options.quantize must be an object with a calibration folder or image list.');
  const { calibration, samples = FEATURIZER_QUANTIZE_DEFAULTS.samples, ...rest } = options;
  const isList =
    Array.isArray(calibration) && calibration.length > 0 && calibration.every((f) => typeof f === 'string' && f !== '');
  if (!(typeof calibration === 'string' && calibration !== '') && !isList) {
    throw new TypeError('options.quantize.calibration must be a folder path or a non-empty array of image paths.');
  }
  if (!Number.isSafeInteger(samples) || samples < 1)
    throw new RangeError(`options.quantize.samples must be an integer >= 1, not ${samples}.`);
  if ('onProgress' in rest)
    throw new TypeError('options.quantize.onProgress is not taken here: pass onProgress to ServiceDefinition.save.');
  let base: QuantizeConfig;
  try {
    base = compileQuantize(rest);
  } catch (err) {
    if (err instanceof TypeError) throw new TypeError(err.message.replace(/^options\./, 'options.quantize.'));
    if (err instanceof RangeError) throw new RangeError(err.message.replace(/^options\./, 'options.quantize.'));
    throw err;
  }
  const { onProgress: _none, ...config } = base;
  return Object.freeze({
    ...config,
    calibration: typeof calibration === 'string' ? calibration : Object.freeze([...calibration]),
    samples,
  });
}

export interface QuantizedFeaturizer {
  model: OnnxModel;
  /** What service.json records. */
  quantization: FeaturizerQuantization;
  report: QuantizeReport;
}

/**
 * Quantizes a cut fp32 featurizer on its calibration images. Errors: TCH_ERR_QUANTIZE_CALIBRATION_EMPTY (no image),
 * TCH_ERR_IO_NOT_FOUND / TCH_ERR_IMAGE_* (an image that cannot be read or decoded), and quantizeModel's own.
 */
export async function quantizeFeaturizer(
  cut: OnnxModel,
  entry: ZooEntry,
  config: FeaturizerQuantizeConfig,
  onProgress?: (done: number, total: number) => void,
): Promise<QuantizedFeaturizer> {
  if (entry.dtype !== 'fp32') {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_ALREADY_QUANTIZED',
      `Zoo model "${entry.id}" is an int8 model already; quantize its fp32 original instead.`,
      {
        details: { model: entry.id },
      },
    );
  }
  const files =
    typeof config.calibration === 'string' ? await listImageFiles(config.calibration) : [...config.calibration];
  if (files.length === 0) {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_CALIBRATION_EMPTY',
      `Calibration folder "${String(config.calibration)}" holds no JPEG, PNG or WebP image.`,
      {
        details: { dir: config.calibration },
      },
    );
  }
  const { calibration: _calibration, samples, ...options } = config;
  const set = imageCalibrationSet(spreadSample(files, samples), presetByName(entry.preset));
  const { model, report } = await quantizeModel(cut, set, { ...options, onProgress });
  const quantization: FeaturizerQuantization = {
    tool: 'tachyon',
    method: report.method,
    samples: report.calibrationSamples,
    perChannel: report.perChannel,
    activationType: report.activationType,
    ...(report.method === 'percentile' ? { percentile: config.percentile } : {}),
  };
  return { model, quantization, report };
}
