import { join } from 'node:path';
import ort from 'onnxruntime-node';
import {
  openServedModel,
  evaluateAccuracy,
  imageCalibrationSet,
  preprocessImage,
  presetByName,
  quantizeOnnxFile,
  type CalibrationMethod,
  type LabelledImage,
  type OnnxRuntimeBackend,
  type PresetName,
  type QuantizeReport,
} from '@tachyon-serve/core';
import { measureInterleaved } from '../measure.js';
import { summarize, type LatencySummary } from '../stats.js';

export interface QuantizeRun {
  model: string;
  method: CalibrationMethod;
  out: string;
  seconds: number;
  report: QuantizeReport;
}

/** Quantizes `fp32` with each method on the calibration files; the int8 files go to workDir. */
export async function quantizeAll(
  id: string,
  fp32: string,
  preset: PresetName,
  calibration: readonly string[],
  methods: readonly CalibrationMethod[],
  workDir: string,
  log: (m: string) => void,
): Promise<QuantizeRun[]> {
  const runs: QuantizeRun[] = [];
  for (const method of methods) {
    const out = join(workDir, `${id}-int8-${method}.onnx`);
    const started = Date.now();
    const report = await quantizeOnnxFile(fp32, out, imageCalibrationSet(calibration, presetByName(preset)), {
      method,
    });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    log(
      `${id} ${method}: ${seconds} s, ${report.fusion?.integerOps} integer kernels, ${report.fusion?.floatComputeOps} float compute ops left`,
    );
    runs.push({ model: id, method, out, seconds, report });
  }
  return runs;
}

export interface AccuracyRow {
  model: string;
  top1: number;
  top5: number;
  /** top-1 minus the fp32 model's, in points. */
  top1VsFp32: number;
  /** Share of images (%) whose top-1 equals the fp32 model's. */
  top1AgreementWithFp32: number;
}

/** Every model on the same evaluation images; the first is the fp32 reference. */
export async function accuracyOf(
  models: readonly { name: string; path: string }[],
  preset: PresetName,
  images: readonly LabelledImage[],
  backend: OnnxRuntimeBackend,
  log: (m: string) => void,
): Promise<AccuracyRow[]> {
  const classifiers = [];
  for (const m of models)
    classifiers.push({ name: m.name, classifier: await openServedModel(m.path, { preset: preset, backend }) });
  try {
    let last = 0;
    const results = await evaluateAccuracy(classifiers, images, {
      onProgress: (done, total) => {
        if (done - last >= 200 || done === total) {
          last = done;
          log(`  evaluated ${done}/${total}`);
        }
      },
    });
    const ref = results[0]!;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return results.map((r) => ({
      model: r.name,
      top1: r2(r.top1),
      top5: r2(r.top5),
      top1VsFp32: r2(r.top1 - ref.top1),
      top1AgreementWithFp32: r2((100 * r.predictions.filter((p, i) => p === ref.predictions[i]).length) / r.images),
    }));
  } finally {
    for (const c of classifiers) await c.classifier.close();
  }
}

export interface LatencyResult extends LatencySummary {
  name: string;
}

/**
 * Batch-1 latency of raw onnxruntime sessions (CPU, optimization 'all', intra-op threads = cores) on one
 * preprocessed image, measured interleaved in the same process so every contender sees the same machine.
 */
export async function latencyOf(
  models: readonly { name: string; path: string }[],
  preset: PresetName,
  image: Uint8Array,
  iterations: number,
  blocks: number,
): Promise<LatencyResult[]> {
  const tensor = await preprocessImage(image, presetByName(preset));
  const sessions = [];
  try {
    for (const m of models) {
      const session = await ort.InferenceSession.create(m.path, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      sessions.push({ name: m.name, session, input: session.inputNames[0]! });
    }
    const feedsOf = (input: string) => ({ [input]: new ort.Tensor('float32', tensor.data, tensor.dims) });
    const { results } = await measureInterleaved(
      sessions.map((s) => ({ name: s.name, call: () => s.session.run(feedsOf(s.input)) })),
      { iterations, blocks, warmup: 3, switchPauseMs: 100 },
    );
    return results.map((r) => ({ name: r.name, ...summarize(r.samples) }));
  } finally {
    for (const s of sessions) await s.session.release();
  }
}
