import { TachyonError } from '@tachyon-serve/protocol';
import { buildPrunedModel, declaredValueInfo } from './build-pruned-model.js';
import { hasTensor, indexGraph, selectNodes } from './graph-index.js';
import { graphOf, type OnnxModel } from './onnx-model.js';
import {
  tensorNotFound,
  toValueInfo,
  validateTensorInfos,
  validateTensorNames,
  type TensorInfo,
} from './tensor-info.js';

/**
 * The nodes computing `outputs` from the tensors `inputs`, which become the graph inputs with the given dtype and
 * dims (e.g. a backbone's own head: from its feature tensor to its class scores). Initializers used are kept.
 * Errors: TCH_ERR_GRAPH_TENSOR_NOT_FOUND for a name the graph does not have; TCH_ERR_GRAPH_INVALID when an output
 * depends on an original graph input that is not among `inputs`, or when a node still needed also computes one of
 * `inputs` (the cut does not separate the graph).
 */
export function extractSubgraph(
  model: OnnxModel,
  inputs: readonly TensorInfo[],
  outputs: readonly string[],
): OnnxModel {
  const graph = graphOf(model);
  validateTensorInfos(inputs, 'inputs');
  validateTensorNames(outputs, 'outputs');
  const index = indexGraph(graph);
  const where = `graph "${graph.name ?? ''}"`;
  for (const { name } of inputs) if (!hasTensor(index, name)) throw tensorNotFound(name, where);
  for (const name of outputs) if (!hasTensor(index, name)) throw tensorNotFound(name, where);
  const boundary = new Set(inputs.map((i) => i.name));
  const selection = selectNodes(index, outputs, boundary);
  const missing = [...selection.inputs].filter((name) => !boundary.has(name));
  if (missing.length > 0) {
    throw new TachyonError(
      'TCH_ERR_GRAPH_INVALID',
      `The outputs depend on graph input "${missing[0]}", which is not among the inputs of the subgraph.`,
      { details: { missing, inputs: [...boundary], outputs: [...outputs] } },
    );
  }
  for (const i of selection.nodes) {
    const computed = (index.nodes[i]!.output ?? []).find((o) => boundary.has(o));
    if (computed !== undefined) {
      throw new TachyonError(
        'TCH_ERR_GRAPH_INVALID',
        `Input "${computed}" is also computed by node "${index.nodes[i]!.name ?? ''}", which the outputs need for another path.`,
        { details: { input: computed, node: index.nodes[i]!.name ?? '' } },
      );
    }
  }
  const declared = outputs.map((name) =>
    boundary.has(name) ? toValueInfo(inputs.find((i) => i.name === name)!) : declaredValueInfo(index, name),
  );
  return buildPrunedModel(model, index, selection, inputs.map(toValueInfo), declared);
}
