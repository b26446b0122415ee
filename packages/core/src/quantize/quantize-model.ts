import { rename, rm, writeFile } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import { modelWithGraph } from '../graph/model-with-graph.js';
import { withFields } from '../graph/onnx-message.js';
import { graphOf, readOnnxModel, encodeOnnxModel, toInt, type OnnxModel } from '../graph/onnx-model.js';
import { MAX_IR_VERSION, MAX_OPSET, isDefaultDomain } from '../graph/onnx-versions.js';
import { GraphProtoSchema, NodeProtoSchema } from '../graph/proto/onnx/onnx_pb.js';
import { fromValueInfo } from '../graph/tensor-info.js';
import { calibrateRanges, validateCalibrationSet, type CalibrationSet } from './calibrate.js';
import { inspectFusion, type FusionReport } from './inspect-fusion.js';
import { foldBatchNorms, inlineConstants, pruneInitializers, toWorkGraph, type WorkGraph } from './prepare-graph.js';
import { planQdq } from './qdq-plan.js';
import { rewriteQdq } from './qdq-rewrite.js';
import {
  compileQuantize,
  type ActivationType,
  type CalibrationMethod,
  type QuantizeOptions,
} from './quantize-options.js';

/** Ops that mean a model is quantized already. */
const QUANTIZED_OPS =
  /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinear.*|QGemm|ConvInteger|MatMulInteger.*)$/;
/** Per-axis DequantizeLinear (per-channel weights) needs opset 13; per-tensor QDQ needs 10. */
const MIN_OPSET = 13;
/** The QDQ rewrite emits IR 7 at least (opset 13 needs it). */
const MIN_OUTPUT_IR = 7n;

/** What the quantizer did. */
export interface QuantizeReport {
  readonly method: CalibrationMethod;
  readonly perChannel: boolean;
  readonly activationType: ActivationType;
  readonly calibrationSamples: number;
  /** BatchNormalization nodes folded into the Conv before them. */
  readonly foldedBatchNorms: number;
  /** Relu/Clip nodes absorbed into their producer's output quantization. */
  readonly fusedActivations: number;
  /** Op type -> nodes computed in int8. */
  readonly quantizedOps: Readonly<Record<string, number>>;
  /** Op type -> nodes left in fp32 (reported in `warnings` too). */
  readonly fp32Ops: Readonly<Record<string, number>>;
  readonly warnings: readonly string[];
  /** What onnxruntime fused the result into (`quantizeOnnxFile` with `verify`). */
  readonly fusion?: FusionReport;
}

export interface QuantizeResult {
  readonly model: OnnxModel;
  readonly report: QuantizeReport;
}

/**
 * Post-training static quantization into QDQ form: BatchNorms folded, weights int8 (symmetric, per output channel
 * by default), activations uint8/int8 per tensor from ranges measured by running the fp32 model on `calibration`.
 * Conv, Gemm/MatMul, Add, pooling and Concat are quantized so that onnxruntime's CPU optimizer fuses them into
 * QLinearConv/QLinearMatMul/QGemm/QLinearAdd/...; other ops stay fp32 and are listed in `report.warnings`.
 * Supported: default-domain opset 13 to 28 and IR versions up to 14 (the vendored onnx.proto); nodes of other
 * domains and calls of local functions stay fp32, and every field the rewrite does not touch is kept.
 * Errors: TCH_ERR_QUANTIZE_ALREADY_QUANTIZED, TCH_ERR_QUANTIZE_UNSUPPORTED (opset < 13, not one float input, nothing
 * to quantize), TCH_ERR_QUANTIZE_VERSION_UNSUPPORTED (IR above 14, opset above 28),
 * TCH_ERR_QUANTIZE_CALIBRATION_EMPTY.
 */
export async function quantizeModel(
  model: OnnxModel,
  calibration: CalibrationSet,
  options: QuantizeOptions = {},
): Promise<QuantizeResult> {
  const graph = graphOf(model);
  const config = compileQuantize(options);
  validateCalibrationSet(calibration);
  const quantizedOps = [
    ...new Set((graph.node ?? []).map((n) => n.opType ?? '').filter((op) => QUANTIZED_OPS.test(op))),
  ];
  if (quantizedOps.length > 0) {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_ALREADY_QUANTIZED',
      `The model is already quantized (it has ${quantizedOps.join(', ')} nodes); quantize its fp32 original instead.`,
      {
        details: { ops: quantizedOps },
      },
    );
  }
  const opset = toInt(model.opsetImport.find((o) => isDefaultDomain(o.domain))?.version);
  const irVersion = toInt(model.irVersion);
  if (opset > MAX_OPSET || irVersion > MAX_IR_VERSION) {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_VERSION_UNSUPPORTED',
      `The model has IR version ${irVersion} and opset ${opset}; the quantizer handles IR up to ${MAX_IR_VERSION} and opsets ${MIN_OPSET} to ${MAX_OPSET}.`,
      { details: { irVersion, opset, maxIrVersion: MAX_IR_VERSION, minOpset: MIN_OPSET, maxOpset: MAX_OPSET } },
    );
  }
  if (opset < MIN_OPSET) {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_UNSUPPORTED',
      `The model imports opset ${opset}; quantizing needs opset ${MIN_OPSET} or later (convert it first).`,
      {
        details: { opset, minOpset: MIN_OPSET },
      },
    );
  }
  const work = toWorkGraph(graph);
  const input = singleFloatInput(graph, work);
  inlineConstants(work);
  const foldedBatchNorms = config.foldBatchNorm ? foldBatchNorms(work) : 0;
  pruneInitializers(work);
  uniqueNodeNames(work);
  const prepared = toModel(model, work);
  const plan = planQdq(work);
  if (plan.quantNodes.size === 0) {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_UNSUPPORTED',
      'The model has no Conv, Gemm, MatMul, Add, pooling or Concat node that can be quantized.',
      {
        details: { ops: Object.fromEntries(plan.fp32Ops) },
      },
    );
  }
  const ranges = await calibrateRanges(prepared, input.name, plan.sources, calibration, config, input.fixedBatch);
  rewriteQdq(work, plan, ranges, config);
  pruneInitializers(work);
  const quantized: Record<string, number> = {};
  for (const node of plan.quantNodes) quantized[node.opType ?? ''] = (quantized[node.opType ?? ''] ?? 0) + 1;
  const fp32Ops = Object.fromEntries(plan.fp32Ops);
  const warnings: string[] = [];
  if (plan.fp32Ops.size > 0) {
    const list = Object.entries(fp32Ops)
      .map(([op, n]) => `${op} x${n}`)
      .join(', ');
    warnings.push(`Left in fp32 (no int8 form here): ${list}.`);
  }
  const report: QuantizeReport = Object.freeze({
    method: config.method,
    perChannel: config.perChannel,
    activationType: config.activationType,
    calibrationSamples: calibration.size,
    foldedBatchNorms,
    fusedActivations: plan.fusedActivations,
    quantizedOps: Object.freeze(quantized),
    fp32Ops: Object.freeze(fp32Ops),
    warnings: Object.freeze(warnings),
  });
  const out = toModel(model, work);
  out.producerName = 'tachyon-quantize';
  out.docString =
    `int8 QDQ (${config.method} calibration on ${calibration.size} samples) of: ${model.producerName ?? ''} ${model.docString ?? ''}`.trim();
  return { model: out, report };
}

export interface QuantizeFileOptions extends QuantizeOptions {
  /** Load the result in onnxruntime and report which integer kernels it fused into (`report.fusion`). @default true */
  verify?: boolean;
}

/** Reads `input`, quantizes it, writes `output` (atomically, via a temporary file beside it) and returns the report. */
export async function quantizeOnnxFile(
  input: string,
  output: string,
  calibration: CalibrationSet,
  options: QuantizeFileOptions = {},
): Promise<QuantizeReport> {
  if (typeof output !== 'string' || output === '') throw new TypeError('output must be a non-empty path.');
  const { verify, ...rest } = options;
  const { model, report } = await quantizeModel(await readOnnxModel(input), calibration, rest);
  const bytes = encodeOnnxModel(model);
  const fusion = verify === false ? undefined : await inspectFusion(bytes);
  const temporary = `${output}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, output);
  } catch (cause) {
    await rm(temporary, { force: true });
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `The quantized model cannot be written to "${output}".`, {
      details: { output },
      cause,
    });
  }
  return fusion ? Object.freeze({ ...report, fusion }) : report;
}

function singleFloatInput(
  graph: OnnxModel['graph'] & object,
  work: WorkGraph,
): { name: string; fixedBatch: number | undefined } {
  const inputs = (graph.input ?? []).filter((vi) => work.inputs.has(vi.name ?? ''));
  const info = inputs.length === 1 ? fromValueInfo(inputs[0]!) : undefined;
  if (!info || info.dtype !== 'float32') {
    throw new TachyonError(
      'TCH_ERR_QUANTIZE_UNSUPPORTED',
      'Only models with exactly one float32 input can be calibrated.',
      {
        details: { inputs: inputs.map((vi) => vi.name) },
      },
    );
  }
  const batch = info.dims[0];
  return { name: info.name, fixedBatch: batch !== undefined && batch > 0 ? batch : undefined };
}

function uniqueNodeNames(work: WorkGraph): void {
  const seen = new Set<string>();
  work.nodes.forEach((node, i) => {
    let name = node.name || `${node.opType}_${i}`;
    while (seen.has(name)) name = `${name}_${i}`;
    seen.add(name);
    node.name = name;
  });
}

/** A model around the work graph (fresh node objects, so later edits of `work` do not reach it). */
function toModel(model: OnnxModel, work: WorkGraph): OnnxModel {
  const graph = model.graph!;
  const alive = new Set<string>([...work.inputs, ...work.initializers.keys()]);
  for (const node of work.nodes) for (const o of node.output) alive.add(o);
  const outputs = new Set(work.outputs);
  const irVersion = model.irVersion > MIN_OUTPUT_IR ? undefined : MIN_OUTPUT_IR;
  return modelWithGraph(
    model,
    withFields(GraphProtoSchema, graph, {
      node: work.nodes.map((n) => withFields(NodeProtoSchema, n, { input: [...n.input], output: [...n.output] })),
      initializer: [...work.initializers.values()],
      input: graph.input.filter((vi) => work.inputs.has(vi.name)),
      valueInfo: graph.valueInfo.filter(
        (vi) => alive.has(vi.name) && !outputs.has(vi.name) && !work.initializers.has(vi.name),
      ),
      // The annotations name tensors of the fp32 graph; the QDQ nodes now carry the quantization.
      quantizationAnnotation: [],
    }),
    irVersion,
  );
}
