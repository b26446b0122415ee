import type { OnnxNode } from '../graph/onnx-model.js';
import { attrNumber, consumersOf, type WorkGraph } from './prepare-graph.js';
import { dimsOf, readFloats, ELEM } from './tensor-data.js';

/** Ops computed on quantized tensors (onnxruntime fuses DQ -> op -> Q into QLinearConv, QLinearMatMul, QGemm, ...). */
const COMPUTE_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'AveragePool', 'GlobalAveragePool', 'Concat']);
/** Ops that move values without changing them: their output shares the input's scale and zero point. */
const PASSTHROUGH_OPS = new Set(['MaxPool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze']);
/** Activations absorbed into the preceding op: a Q whose zero point is the type's minimum clips at 0 by itself. */
const FUSABLE_PRODUCERS = new Set(['Conv', 'Gemm', 'MatMul', 'Add']);
/** Ops that never need quantizing (structure only); not reported as left in fp32. */
const NEUTRAL_OPS = new Set(['Identity', 'Constant', 'Shape', 'Dropout']);

export interface QdqPlan {
  /** Nodes computed in int8 (the weighted ones get DequantizeLinear'd int8 weights). */
  readonly quantNodes: ReadonlySet<OnnxNode>;
  /** Quantized tensor -> the tensor whose calibrated range gives its scale and zero point. */
  readonly tensors: ReadonlyMap<string, string>;
  /** Distinct range sources to calibrate, in graph order. */
  readonly sources: readonly string[];
  /** Relu/Clip nodes removed into their producer's output quantization. */
  readonly fusedActivations: number;
  /** Op type -> count of nodes left in fp32 (not quantizable here). */
  readonly fp32Ops: ReadonlyMap<string, number>;
}

const isDefault = (node: OnnxNode) => (node.domain ?? '') === '' || node.domain === 'ai.onnx';

function isFloatInit(work: WorkGraph, name: string | undefined, rank?: number): boolean {
  const t = name ? work.initializers.get(name) : undefined;
  return !!t && t.dataType === ELEM.FLOAT && (rank === undefined || dimsOf(t).length === rank);
}

/** Whether this node can be computed in int8 here (weights constant, attributes the fused kernels support). */
function quantizable(work: WorkGraph, node: OnnxNode): boolean {
  if (!isDefault(node) || !COMPUTE_OPS.has(node.opType ?? '')) return false;
  const inputs = node.input ?? [];
  const activation = (name: string | undefined) => !!name && !work.initializers.has(name);
  switch (node.opType) {
    case 'Conv':
      return activation(inputs[0]) && isFloatInit(work, inputs[1]) && (!inputs[2] || isFloatInit(work, inputs[2], 1));
    case 'Gemm': {
      if (
        attrNumber(node, 'transA', 0) !== 0 ||
        attrNumber(node, 'alpha', 1) !== 1 ||
        attrNumber(node, 'beta', 1) !== 1
      )
        return false;
      return (
        activation(inputs[0]) && isFloatInit(work, inputs[1], 2) && (!inputs[2] || isFloatInit(work, inputs[2], 1))
      );
    }
    case 'MatMul':
      return activation(inputs[0]) && (isFloatInit(work, inputs[1], 2) || activation(inputs[1]));
    case 'Add':
    case 'Concat':
      return inputs.every(activation);
    default:
      return activation(inputs[0]) && (node.output ?? []).length === 1;
  }
}

function clipsAtZero(work: WorkGraph, node: OnnxNode): boolean {
  if (node.opType === 'Relu') return true;
  if (node.opType !== 'Clip') return false;
  const minName = node.input?.[1];
  if (minName) {
    const t = work.initializers.get(minName);
    return !!t && t.dataType === ELEM.FLOAT && readFloats(t)[0] === 0;
  }
  return (node.attribute ?? []).some((a) => a.name === 'min') && attrNumber(node, 'min', -1) === 0;
}

/**
 * Decides what becomes int8, and removes Relu/Clip(0, x) nodes that directly follow a quantized Conv/Gemm/MatMul/Add
 * (their only reader): the producer then writes the activation's output, whose calibrated range starts at 0.
 * Mutates `work` (the fusion) and returns the plan.
 */
export function planQdq(work: WorkGraph): QdqPlan {
  const quantNodes = new Set(work.nodes.filter((n) => quantizable(work, n)));
  let consumers = consumersOf(work);
  const fused = new Set<OnnxNode>();
  const forcedOutput = new Set<OnnxNode>();
  for (const act of work.nodes) {
    if (!isDefault(act) || !clipsAtZero(work, act)) continue;
    const x = act.input?.[0] ?? '';
    const producer = work.nodes.find((n) => n.output?.[0] === x);
    if (!producer || !quantNodes.has(producer) || !FUSABLE_PRODUCERS.has(producer.opType ?? '')) continue;
    if (work.outputs.has(x) || (consumers.get(x) ?? []).length !== 1 || (producer.output ?? []).length !== 1) continue;
    producer.output = [act.output![0]!];
    forcedOutput.add(producer);
    fused.add(act);
  }
  work.nodes = work.nodes.filter((n) => !fused.has(n));
  consumers = consumersOf(work);

  const tensors = new Map<string, string>();
  const passthrough = (n: OnnxNode) =>
    isDefault(n) && PASSTHROUGH_OPS.has(n.opType ?? '') && (n.output ?? []).length === 1;
  for (const node of work.nodes) {
    if (!quantNodes.has(node)) continue;
    const inputs = node.input ?? [];
    const activations =
      node.opType === 'Conv' || node.opType === 'Gemm'
        ? [inputs[0]!]
        : inputs.filter((i) => i !== '' && !work.initializers.has(i));
    for (const a of activations) if (!tensors.has(a)) tensors.set(a, a);
    const out = node.output![0]!;
    // QGemm / MatMulIntegerToFloat may output float: logits stay exact when nothing int8 reads them.
    const readers = consumers.get(out) ?? [];
    const floatOut =
      (node.opType === 'Gemm' || node.opType === 'MatMul') &&
      !forcedOutput.has(node) &&
      !readers.some((r) => quantNodes.has(r) || passthrough(r));
    if (!floatOut) tensors.set(out, out);
  }
  for (const node of work.nodes) {
    if (!passthrough(node)) continue;
    const source = tensors.get(node.input?.[0] ?? '');
    if (source !== undefined) tensors.set(node.output![0]!, source);
  }
  const sources = [...new Set(tensors.values())];
  const fp32Ops = new Map<string, number>();
  for (const node of work.nodes) {
    const type = node.domain ? `${node.domain}.${node.opType}` : (node.opType ?? '');
    if (quantNodes.has(node) || NEUTRAL_OPS.has(type)) continue;
    if (passthrough(node) && tensors.has(node.input?.[0] ?? '')) continue;
    if (passthrough(node) && !COMPUTE_OPS.has(type) && node.opType !== 'MaxPool') continue;
    fp32Ops.set(type, (fp32Ops.get(type) ?? 0) + 1);
  }
  return { quantNodes, tensors, sources, fusedActivations: fused.size, fp32Ops };
}
