import { create } from '@bufbuild/protobuf';
import type { GraphIndex, Selection } from './graph-index.js';
import { modelWithGraph } from './model-with-graph.js';
import { withFields } from './onnx-message.js';
import { toInt, type OnnxModel, type OnnxValueInfo } from './onnx-model.js';
import { GraphProtoSchema, ValueInfoProtoSchema } from './proto/onnx/onnx_pb.js';

/** IR 4 made initializers that are not graph inputs legal; before it, every initializer is also listed as an input. */
const IR_INITIALIZERS_OUTSIDE_INPUTS = 4;

/**
 * A copy of `model` holding only the selected nodes (original order kept, so a topological order stays one) and
 * initializers, with `inputs` and `outputs` as its graph inputs and outputs. Value infos and quantization annotations
 * are kept for the tensors that survive. Every other graph and model field (names, doc strings, metadata, local
 * functions, fields newer than the schema) is kept as it was. Nodes and tensors are shared with `model`, not copied.
 */
export function buildPrunedModel(
  model: OnnxModel,
  index: GraphIndex,
  selection: Selection,
  inputs: readonly OnnxValueInfo[],
  outputs: readonly OnnxValueInfo[],
): OnnxModel {
  const graph = index.graph;
  const fed = new Set(inputs.map((vi) => vi.name ?? ''));
  const keepInitializer = (name: string) => selection.initializers.has(name) && !fed.has(name);
  const nodes = index.nodes.filter((_, i) => selection.nodes.has(i));
  const alive = new Set<string>([...fed, ...selection.initializers]);
  for (const node of nodes) for (const o of node.output ?? []) if (o !== '') alive.add(o);
  const ends = new Set([...fed, ...outputs.map((vi) => vi.name ?? '')]);
  // Pre-IR-4 models must keep listing their initializers as inputs; newer ones lose those stale entries.
  const legacyInputs =
    toInt(model.irVersion) < IR_INITIALIZERS_OUTSIDE_INPUTS
      ? (graph.input ?? []).filter((vi) => index.initializerInputs.has(vi.name ?? '') && keepInitializer(vi.name ?? ''))
      : [];
  // trainingInfo describes training of the whole original graph; it does not survive a cut (modelWithGraph drops it).
  return modelWithGraph(
    model,
    withFields(GraphProtoSchema, graph, {
      node: nodes,
      initializer: (graph.initializer ?? []).filter((t) => keepInitializer(t.name ?? '')),
      sparseInitializer: (graph.sparseInitializer ?? []).filter((s) => keepInitializer(s.values?.name ?? '')),
      input: [...inputs, ...legacyInputs],
      output: [...outputs],
      valueInfo: (graph.valueInfo ?? []).filter((vi) => alive.has(vi.name ?? '') && !ends.has(vi.name ?? '')),
      quantizationAnnotation: (graph.quantizationAnnotation ?? []).filter((a) => alive.has(a.tensorName ?? '')),
    }),
  );
}

/** The best declaration the graph has for a tensor: as a graph input or output, or in value_info; else the bare name. */
export function declaredValueInfo(index: GraphIndex, name: string): OnnxValueInfo {
  const graph = index.graph;
  const found =
    index.inputs.get(name) ??
    (graph.output ?? []).find((vi) => vi.name === name) ??
    (graph.valueInfo ?? []).find((vi) => vi.name === name) ??
    (graph.input ?? []).find((vi) => vi.name === name);
  return found ?? create(ValueInfoProtoSchema, { name });
}
