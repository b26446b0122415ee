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
 * The graph computing `outputs` from the graph inputs: nodes, initializers and inputs that do not contribute are
 * pruned, and `outputs` become the graph outputs (e.g. a backbone cut at its pooled-feature tensor).
 * An output is declared with its `outputInfo` entry when given, else with what the graph declares for it (graph
 * output or value_info), else by name only: onnxruntime infers the type, but onnx.checker wants it declared, so pass
 * the `probeTensorInfo` result as `outputInfo` for a file other tools will read.
 * Errors: TCH_ERR_GRAPH_TENSOR_NOT_FOUND for a name the graph does not have; TCH_ERR_GRAPH_INVALID for a broken
 * graph (a name defined twice, a read of an undefined tensor).
 */
export function cutModel(
  model: OnnxModel,
  outputs: readonly string[],
  outputInfo: readonly TensorInfo[] = [],
): OnnxModel {
  const graph = graphOf(model);
  validateTensorNames(outputs, 'outputs');
  validateTensorInfos(outputInfo, 'outputInfo');
  outputInfo.forEach((info, i) => {
    if (!outputs.includes(info.name))
      throw new RangeError(`outputInfo[${i}].name "${info.name}" is not one of outputs.`);
  });
  const index = indexGraph(graph);
  for (const name of outputs) if (!hasTensor(index, name)) throw tensorNotFound(name, `graph "${graph.name ?? ''}"`);
  const selection = selectNodes(index, outputs);
  const inputs = (graph.input ?? []).filter((vi) => selection.inputs.has(vi.name ?? ''));
  const declared = outputs.map((name) => {
    const info = outputInfo.find((o) => o.name === name);
    return info ? toValueInfo(info) : declaredValueInfo(index, name);
  });
  return buildPrunedModel(model, index, selection, inputs, declared);
}
