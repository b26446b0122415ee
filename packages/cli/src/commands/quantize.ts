import { resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import {
  imageCalibrationSet,
  listImageFiles,
  presetByName,
  quantizeOnnxFile,
  resolveModelRef,
  spreadSample,
  type CalibrationMethod,
  type QuantizeReport,
} from '@tachyon-serve/core';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printError, printJson, printLine } from '../output.js';

/** Flags as commander hands them over. */
export interface QuantizeCliOptions {
  calibration: string;
  out: string;
  method: CalibrationMethod;
  perChannel: boolean;
  samples: string;
  percentile?: string;
  activationType: 'uint8' | 'int8';
  preset?: string;
  json?: boolean;
}

/**
 * `tachyon quantize MODEL --calibration DIR --out FILE`: int8 QDQ model calibrated on up to --samples images of DIR
 * (spread evenly over the sorted file names), preprocessed with the model's preset (or --preset). Prints what was
 * quantized and what onnxruntime fused it into; ops left in fp32 are listed as a warning on stderr.
 */
export async function runQuantize(model: string, options: QuantizeCliOptions, globals: GlobalOptions): Promise<void> {
  const samples = integerFlag('--samples', options.samples, 1)!;
  const percentile = options.percentile === undefined ? undefined : Number(options.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100))
    throw new RangeError(`--percentile: expected a number in (50, 100], got "${options.percentile}"`);
  const { sources } = await createCliContext(globals);
  const resolved = await resolveModelRef(model, sources);
  const presetName = options.preset ?? resolved.entry?.preset;
  if (presetName === undefined)
    throw new RangeError(`--preset is required for the bare .onnx file "${model}" (e.g. torchvision224 or caffe227)`);
  if (resolved.entry?.dtype === 'int8') {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_ALREADY_QUANTIZED',
      `Model "${model}" is an int8 model already; quantize its fp32 original instead.`,
      { details: { model } },
    );
  }
  const preset = presetByName(presetName);
  const files = await listImageFiles(options.calibration);
  if (files.length === 0) {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_CALIBRATION_EMPTY',
      `Calibration folder "${options.calibration}" holds no JPEG, PNG or WebP image.`,
      { details: { dir: options.calibration } },
    );
  }
  const chosen = spreadSample(files, samples);
  const out = resolve(options.out);
  const report = await quantizeOnnxFile(resolved.path, out, imageCalibrationSet(chosen, preset), {
    method: options.method,
    perChannel: options.perChannel,
    percentile,
    activationType: options.activationType,
    onProgress: createBarPrinter('calibrating'),
  });
  for (const warning of report.warnings) printError(`warning: ${warning}`);
  if (options.json) printJson({ model, out, preset: presetName, ...report });
  else printSummary(model, out, report);
}

function printSummary(model: string, out: string, report: QuantizeReport): void {
  const list = (ops: Readonly<Record<string, number>>) =>
    Object.entries(ops)
      .map(([op, n]) => `${op} x${n}`)
      .join(', ') || 'none';
  printLine(`${model} -> ${out}`);
  printLine(
    `  calibration   ${report.method}, ${report.calibrationSamples} images; weights int8 ${report.perChannel ? 'per channel' : 'per tensor'}, activations ${report.activationType}`,
  );
  printLine(`  folded        ${report.foldedBatchNorms} BatchNormalization, ${report.fusedActivations} Relu/Clip`);
  printLine(`  quantized     ${list(report.quantizedOps)}`);
  printLine(`  left in fp32  ${list(report.fp32Ops)}`);
  if (report.fusion) {
    const kernels = Object.fromEntries(
      Object.entries(report.fusion.ops).filter(([op]) => /^Q(Linear|Gemm)|Integer/.test(op)),
    );
    printLine(
      `  onnxruntime   ${list(kernels)}; ${report.fusion.floatComputeOps} float Conv/Gemm/MatMul/Add/Concat/pool left`,
    );
  }
}

/** An integer flag >= min, or undefined when absent; RangeError naming the flag otherwise. */
export function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${flag}: expected an integer >= ${min}, got "${value}"`);
  return n;
}

/** A one-line progress bar on stderr (only on a TTY: logs and pipes stay clean). */
export function createBarPrinter(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const width = 30;
  return (done, total) => {
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) process.stderr.write('\n');
  };
}
