import { create } from '@bufbuild/protobuf';
import type { OnnxNode, OnnxTensorProto } from '../graph/onnx-model.js';
import { AttributeProto_AttributeType, NodeProtoSchema } from '../graph/proto/onnx/onnx_pb.js';
import type { WorkGraph } from './prepare-graph.js';
import { attrNumber } from './prepare-graph.js';
import type { QdqPlan } from './qdq-plan.js';
import {
  activationParams,
  biasSafeScales,
  quantizeBias,
  quantizeWeights,
  type ActivationParams,
} from './quant-params.js';
import type { QuantizeConfig } from './quantize-options.js';
import { dimsOf, floatTensor, int32Tensor, int8Tensor, readFloats, uint8Tensor } from './tensor-data.js';

const intAttr = (name: string, i: number) => ({ name, type: AttributeProto_AttributeType.INT, i: BigInt(i) });

/**
 * Rewrites `work` (already planned) into QDQ form: each quantized tensor T is written by its producer as `T/float`,
 * then QuantizeLinear -> `T/quantized` -> DequantizeLinear -> T, so every reader (and a graph output named T) reads
 * the dequantized value; quantized nodes read DequantizeLinear'd int8 weights and int32 biases. onnxruntime's graph
 * optimizer turns each DQ -> op -> Q group into one integer kernel. Mutates `work`.
 */
export function rewriteQdq(
  work: WorkGraph,
  plan: QdqPlan,
  ranges: ReadonlyMap<string, [number, number]>,
  config: QuantizeConfig,
): void {
  const params = new Map<string, ActivationParams>();
  for (const source of plan.sources) {
    const [lo, hi] = ranges.get(source) ?? [0, 0];
    params.set(source, activationParams(lo, hi, config.activationType));
  }
  const paramsOf = (tensor: string) => params.get(plan.tensors.get(tensor)!)!;
  const qParamNames = new Map<string, [string, string]>();
  const scaleAndZero = (tensor: string): [string, string] => {
    const source = plan.tensors.get(tensor)!;
    let names = qParamNames.get(source);
    if (!names) {
      const p = params.get(source)!;
      names = [`${source}/scale`, `${source}/zero_point`];
      work.initializers.set(names[0], floatTensor(names[0], [], [p.scale]));
      const zp =
        config.activationType === 'uint8'
          ? uint8Tensor(names[1], [], Uint8Array.of(p.zeroPoint))
          : int8Tensor(names[1], [], Int8Array.of(p.zeroPoint));
      work.initializers.set(names[1], zp);
      qParamNames.set(source, names);
    }
    return names;
  };
  const qdq = (from: string, to: string, tensor: string): OnnxNode[] => {
    const [scale, zero] = scaleAndZero(tensor);
    return [
      create(NodeProtoSchema, {
        name: `${tensor}/QuantizeLinear`,
        opType: 'QuantizeLinear',
        input: [from, scale, zero],
        output: [`${tensor}/quantized`],
      }),
      create(NodeProtoSchema, {
        name: `${tensor}/DequantizeLinear`,
        opType: 'DequantizeLinear',
        input: [`${tensor}/quantized`, scale, zero],
        output: [to],
      }),
    ];
  };

  const out: OnnxNode[] = [];
  const renamedInputs = new Map<string, string>();
  for (const input of work.inputs) {
    if (!plan.tensors.has(input)) continue;
    renamedInputs.set(input, `${input}/dequantized`);
    out.push(...qdq(input, `${input}/dequantized`, input));
  }
  for (const node of work.nodes) {
    if (plan.quantNodes.has(node)) out.push(...quantizeWeightInputs(work, node, (t) => paramsOf(t).scale, config));
    node.input = (node.input ?? []).map((i) => renamedInputs.get(i) ?? i);
    const quantizedOutputs = (node.output ?? []).filter((o) => o !== '' && plan.tensors.has(o));
    node.output = (node.output ?? []).map((o) => (quantizedOutputs.includes(o) ? `${o}/float` : o));
    out.push(node);
    for (const o of quantizedOutputs) out.push(...qdq(`${o}/float`, o, o));
  }
  work.nodes = out;
}

/** Replaces the weight (and bias) initializers of a Conv/Gemm/MatMul by int8 (int32) ones behind DequantizeLinear. */
function quantizeWeightInputs(
  work: WorkGraph,
  node: OnnxNode,
  inputScale: (tensor: string) => number,
  config: QuantizeConfig,
): OnnxNode[] {
  const op = node.opType;
  if (op !== 'Conv' && op !== 'Gemm' && op !== 'MatMul') return [];
  const inputs = node.input!;
  const weight = work.initializers.get(inputs[1]!);
  if (!weight) return []; // MatMul of two activations
  const dims = dimsOf(weight);
  // The output-channel axis: Conv [M, C, kh, kw] -> 0; Gemm B [N, K] (transB) -> 0, [K, N] -> 1; MatMul [K, N] -> 1.
  const axis = op === 'Conv' || (op === 'Gemm' && attrNumber(node, 'transB', 0) === 1) ? 0 : 1;
  const bias = inputs[2] ? work.initializers.get(inputs[2]) : undefined;
  const biasValues = bias ? readFloats(bias) : undefined;
  const sx = inputScale(inputs[0]!);
  let minScales = biasValues ? biasSafeScales(biasValues, sx) : undefined;
  if (minScales && !config.perChannel) minScales = Float32Array.of(Math.max(0, ...minScales));
  const q = quantizeWeights(readFloats(weight), dims, config.perChannel ? axis : undefined, minScales);
  const base = node.name || node.output![0]!;
  const wq = `${base}/weight_quantized`;
  const ws = `${base}/weight_scale`;
  const wz = `${base}/weight_zero_point`;
  const perChannel = q.scales.length > 1 || (config.perChannel && dims[axis] === 1);
  const paramDims = perChannel ? [q.scales.length] : [];
  const tensors: OnnxTensorProto[] = [
    int8Tensor(wq, dims, q.values),
    floatTensor(ws, paramDims, q.scales),
    int8Tensor(wz, paramDims, new Int8Array(q.scales.length)),
  ];
  const nodes: OnnxNode[] = [
    create(NodeProtoSchema, {
      name: `${base}/weight_DequantizeLinear`,
      opType: 'DequantizeLinear',
      input: [wq, ws, wz],
      output: [`${base}/weight_dequantized`],
      attribute: perChannel ? [intAttr('axis', axis)] : [],
    }),
  ];
  node.input = [...inputs];
  node.input[1] = `${base}/weight_dequantized`;
  if (biasValues) {
    const b = quantizeBias(biasValues, sx, q.scales);
    const bq = `${base}/bias_quantized`;
    const bs = `${base}/bias_scale`;
    tensors.push(int32Tensor(bq, [biasValues.length], b.values), floatTensor(bs, [biasValues.length], b.scales));
    nodes.push(
      create(NodeProtoSchema, {
        name: `${base}/bias_DequantizeLinear`,
        opType: 'DequantizeLinear',
        input: [bq, bs],
        output: [`${base}/bias_dequantized`],
        attribute: [intAttr('axis', 0)],
      }),
    );
    node.input[2] = `${base}/bias_dequantized`;
  }
  for (const t of tensors) work.initializers.set(t.name, t);
  return nodes;
}
