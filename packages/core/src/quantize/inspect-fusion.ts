import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from '../graph/onnx-model.js';

/** Integer kernels onnxruntime's CPU graph optimizer produces from DQ -> op -> Q groups. */
const INTEGER_OPS = new Set([
  'QLinearConv',
  'QLinearMatMul',
  'QGemm',
  'QLinearAdd',
  'QLinearMul',
  'QLinearConcat',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'MatMulIntegerToFloat',
  'ConvInteger',
  'MatMulInteger',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
]);
/** Compute ops that would mean a quantized op did not fuse when they run in float. */
const FLOAT_COMPUTE_OPS = new Set([
  'Conv',
  'FusedConv',
  'Gemm',
  'FusedGemm',
  'MatMul',
  'FusedMatMul',
  'Add',
  'Concat',
  'AveragePool',
  'GlobalAveragePool',
]);

/** What onnxruntime makes of a model on CPU: op counts of its optimized graph. */
export interface FusionReport {
  /** Op type -> count in the optimized graph. */
  readonly ops: Readonly<Record<string, number>>;
  /** Integer kernels (QLinearConv, QLinearMatMul, QGemm, ...) in all. */
  readonly integerOps: number;
  /** Conv/Gemm/MatMul/Add/Concat/pool nodes still computed in float. */
  readonly floatComputeOps: number;
  /** QuantizeLinear + DequantizeLinear left between kernels. */
  readonly quantizeOps: number;
}

/**
 * Loads the model in onnxruntime (CPU, 'extended' optimizations: the QDQ fusions, before the NCHWc layout
 * rewrite that level 'all' adds) with `optimizedModelFilePath` set, and counts the ops of the dumped graph.
 */
export async function inspectFusion(model: OnnxModel | Uint8Array): Promise<FusionReport> {
  const bytes = model instanceof Uint8Array ? model : encodeOnnxModel(model);
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-fusion-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'extended',
      optimizedModelFilePath: path,
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    await session.release();
    const optimized = decodeOnnxModel(await readFile(path));
    const ops: Record<string, number> = {};
    for (const node of optimized.graph!.node ?? []) ops[node.opType ?? ''] = (ops[node.opType ?? ''] ?? 0) + 1;
    const sum = (pick: (op: string) => boolean) =>
      Object.entries(ops).reduce((s, [op, n]) => s + (pick(op) ? n : 0), 0);
    return Object.freeze({
      ops: Object.freeze(ops),
      integerOps: sum((op) => INTEGER_OPS.has(op)),
      floatComputeOps: sum((op) => FLOAT_COMPUTE_OPS.has(op)),
      quantizeOps: sum((op) => op === 'QuantizeLinear' || op === 'DequantizeLinear'),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
