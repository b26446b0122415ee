import { outerScopeReads, subgraphs } from '../graph/graph-index.js';
import { withFields } from '../graph/onnx-message.js';
import type { OnnxGraph, OnnxNode, OnnxTensorProto } from '../graph/onnx-model.js';
import { AttributeProto_AttributeType, NodeProtoSchema, TensorProtoSchema } from '../graph/proto/onnx/onnx_pb.js';
import { dimsOf, floatTensor, readFloats, ELEM } from './tensor-data.js';

/**
 * A mutable working copy of a graph: new node objects and lists (every other node field kept), tensors shared with
 * the source (never mutated).
 */
export interface WorkGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensorProto>;
  /** Graph inputs that no initializer backs. */
  inputs: Set<string>;
  outputs: Set<string>;
}

export function toWorkGraph(graph: OnnxGraph): WorkGraph {
  const initializers = new Map<string, OnnxTensorProto>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', t);
  return {
    nodes: graph.node.map((n) => withFields(NodeProtoSchema, n, { input: [...n.input], output: [...n.output] })),
    initializers,
    inputs: new Set((graph.input ?? []).map((vi) => vi.name ?? '').filter((n) => !initializers.has(n))),
    outputs: new Set((graph.output ?? []).map((vi) => vi.name ?? '')),
  };
}

/** tensor -> the nodes reading it. */
export function consumersOf(work: WorkGraph): Map<string, OnnxNode[]> {
  const map = new Map<string, OnnxNode[]>();
  for (const node of work.nodes) {
    for (const input of node.input ?? []) {
      if (input === '') continue;
      const list = map.get(input);
      if (list) list.push(node);
      else map.set(input, [node]);
    }
  }
  return map;
}

export function attrNumber(node: OnnxNode, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return fallback;
  return a.type === AttributeProto_AttributeType.FLOAT ? a.f : Number(a.i);
}

function renameInputs(work: WorkGraph, from: string, to: string): void {
  for (const node of work.nodes) node.input = (node.input ?? []).map((i) => (i === from ? to : i));
}

/**
 * Constant nodes become initializers, and Identity nodes over an initializer (exporters emit them for shared
 * weights) are bypassed, so that every weight is an initializer the quantizer can see.
 */
export function inlineConstants(work: WorkGraph): void {
  const kept: OnnxNode[] = [];
  for (const node of work.nodes) {
    const out = node.output?.[0] ?? '';
    if (node.opType === 'Constant' && (node.domain ?? '') === '' && !work.outputs.has(out)) {
      const value = (node.attribute ?? []).find((a) => a.name === 'value')?.t;
      if (value) {
        work.initializers.set(out, withFields(TensorProtoSchema, value, { name: out }));
        continue;
      }
    }
    if (node.opType === 'Identity' && work.initializers.has(node.input?.[0] ?? '') && !work.outputs.has(out)) {
      renameInputs(work, out, node.input![0]!);
      continue;
    }
    kept.push(node);
  }
  work.nodes = kept;
}

/**
 * Folds each BatchNormalization that directly follows a Conv (its only reader) into the Conv's weights and bias:
 * w' = w * g / sqrt(v + eps) per output channel, b' = (b - m) * g / sqrt(v + eps) + beta. Returns the folded count;
 * the others (e.g. DenseNet's BatchNorms after a Concat) stay as they are.
 */
export function foldBatchNorms(work: WorkGraph): number {
  const consumers = consumersOf(work);
  const removed = new Set<OnnxNode>();
  let folded = 0;
  for (const bn of work.nodes) {
    if (bn.opType !== 'BatchNormalization' || (bn.domain ?? '') !== '') continue;
    const x = bn.input?.[0] ?? '';
    const conv = work.nodes.find((n) => n.output?.[0] === x && n.opType === 'Conv' && (n.domain ?? '') === '');
    if (!conv || work.outputs.has(x) || (consumers.get(x) ?? []).length !== 1) continue;
    if ((bn.output ?? []).filter((o) => o !== '').length !== 1) continue;
    const params = (bn.input ?? []).slice(1, 5).map((n) => work.initializers.get(n));
    const weight = work.initializers.get(conv.input?.[1] ?? '');
    const bias = conv.input?.[2] ? work.initializers.get(conv.input[2]) : undefined;
    if (params.some((p) => !p || p.dataType !== ELEM.FLOAT) || !weight || weight.dataType !== ELEM.FLOAT) continue;
    if (conv.input?.[2] && (!bias || bias.dataType !== ELEM.FLOAT)) continue;
    const [gamma, beta, mean, variance] = params.map((p) => readFloats(p!));
    const eps = attrNumber(bn, 'epsilon', 1e-5);
    const wDims = dimsOf(weight);
    const channels = wDims[0]!;
    if ([gamma, beta, mean, variance].some((a) => a!.length !== channels)) continue;
    const w = readFloats(weight);
    const perChannel = w.length / channels;
    const b = bias ? readFloats(bias) : new Float32Array(channels);
    const newBias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const k = gamma![c]! / Math.sqrt(variance![c]! + eps);
      for (let i = c * perChannel; i < (c + 1) * perChannel; i++) w[i] = w[i]! * k;
      newBias[c] = (b[c]! - mean![c]!) * k + beta![c]!;
    }
    const base = bn.name || bn.output![0]!;
    const wName = `${base}/folded_weight`;
    const bName = `${base}/folded_bias`;
    work.initializers.set(wName, floatTensor(wName, wDims, w));
    work.initializers.set(bName, floatTensor(bName, [channels], newBias));
    conv.input = [conv.input![0]!, wName, bName];
    conv.output = [bn.output![0]!];
    removed.add(bn);
    folded++;
  }
  work.nodes = work.nodes.filter((n) => !removed.has(n));
  return folded;
}

/** Drops initializers no node reads any more (the fp32 weights replaced by folded or quantized ones). */
export function pruneInitializers(work: WorkGraph): void {
  const used = new Set<string>(work.outputs);
  for (const node of work.nodes) {
    for (const i of node.input ?? []) used.add(i);
    for (const g of subgraphs(node)) for (const i of outerScopeReads(g)) used.add(i);
  }
  for (const name of [...work.initializers.keys()]) if (!used.has(name)) work.initializers.delete(name);
}
