import { TachyonError } from '@tachyon-serve/protocol';
import { create } from '@bufbuild/protobuf';
import ort from 'onnxruntime-node';
import { withFields } from '../graph/onnx-message.js';
import { encodeOnnxModel, type OnnxModel } from '../graph/onnx-model.js';
import { GraphProtoSchema, ModelProtoSchema, ValueInfoProtoSchema } from '../graph/proto/onnx/onnx_pb.js';
import type { QuantizeConfig } from './quantize-options.js';
import { RangeStats } from './range-stats.js';

/** The calibration inputs: `size` samples of one float32 model input, each of `sampleDims` (no batch dimension). */
export interface CalibrationSet {
  readonly size: number;
  readonly sampleDims: readonly number[];
  /** Sample `index` (0 <= index < size) as float32 values laid out as `sampleDims`. */
  read(index: number): Promise<Float32Array>;
}

export function validateCalibrationSet(set: CalibrationSet, argument = 'calibration'): void {
  if (typeof set !== 'object' || set === null || typeof set.read !== 'function')
    throw new TypeError(`${argument} must be a CalibrationSet.`);
  if (!Number.isSafeInteger(set.size) || set.size < 0)
    throw new RangeError(`${argument}.size must be an integer >= 0.`);
  if (!Array.isArray(set.sampleDims) || !set.sampleDims.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new TypeError(`${argument}.sampleDims must be an array of positive integers.`);
  }
  if (set.size === 0) {
    throw new TachyonError('TCH_ERR_QUANTIZE_CALIBRATION_EMPTY', 'The calibration set holds no samples.', {
      details: { size: 0 },
    });
  }
}

/**
 * Runs the fp32 model on the calibration set with `sources` added as graph outputs and returns each one's range
 * (the graph input's range comes from the fed samples themselves).
 */
export async function calibrateRanges(
  model: OnnxModel,
  inputName: string,
  sources: readonly string[],
  set: CalibrationSet,
  config: QuantizeConfig,
  fixedBatch: number | undefined,
): Promise<Map<string, [number, number]>> {
  const graph = model.graph!;
  const declared = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const probed = sources.filter((s) => s !== inputName);
  const extra = probed.filter((s) => !declared.has(s)).map((name) => create(ValueInfoProtoSchema, { name }));
  const withOutputs = withFields(ModelProtoSchema, model, {
    graph: withFields(GraphProtoSchema, graph, { output: [...graph.output, ...extra] }),
  });
  const session = await ort.InferenceSession.create(encodeOnnxModel(withOutputs), {
    graphOptimizationLevel: 'basic',
    logSeverityLevel: 3,
  });
  const stats = new Map(sources.map((s) => [s, new RangeStats(config.method)] as const));
  const per = set.sampleDims.reduce((a, b) => a * b, 1);
  const batch = fixedBatch ?? config.batchSize;
  try {
    for (let start = 0; start < set.size; start += batch) {
      const count = Math.min(batch, set.size - start);
      if (fixedBatch !== undefined && count !== fixedBatch) break;
      const data = new Float32Array(per * count);
      for (let i = 0; i < count; i++) {
        const sample = await set.read(start + i);
        if (sample.length !== per)
          throw new RangeError(`calibration sample ${start + i} has ${sample.length} values, not ${per}.`);
        data.set(sample, i * per);
      }
      const feeds = { [inputName]: new ort.Tensor('float32', data, [count, ...set.sampleDims]) };
      const results = probed.length > 0 ? await session.run(feeds, probed) : await session.run(feeds);
      stats.get(inputName)?.add(data);
      for (const name of probed) {
        const value = results[name];
        if (!value || value.type !== 'float32') {
          throw new TachyonError(
            'TCH_ERR_QUANTIZE_UNSUPPORTED',
            `Tensor "${name}" is not float32, so it cannot be quantized.`,
            { details: { name, type: value?.type } },
          );
        }
        stats.get(name)!.add(value.data as Float32Array);
        value.dispose();
      }
      config.onProgress?.(start + count, set.size);
    }
  } finally {
    await session.release();
  }
  return new Map([...stats].map(([name, s]) => [name, s.range(config.method, config.percentile)]));
}
