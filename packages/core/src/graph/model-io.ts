import { indexGraph } from './graph-index.js';
import { graphOf, type OnnxModel } from './onnx-model.js';
import { fromValueInfo, type TensorInfo } from './tensor-info.js';

/** Names of the inputs a caller must feed (initializer-backed inputs left out) and of the outputs, in graph order. */
export function modelIoNames(model: OnnxModel): { inputs: string[]; outputs: string[] } {
  const index = indexGraph(graphOf(model));
  return { inputs: [...index.inputs.keys()], outputs: (index.graph.output ?? []).map((vi) => vi.name ?? '') };
}

/**
 * The inputs and outputs as the model declares them (no inference: a dim the file leaves open is -1); undefined for
 * one that declares no tensor type of a known dtype. Use `probeTensorInfo` for what onnxruntime infers.
 */
export function declaredModelIo(model: OnnxModel): {
  inputs: (TensorInfo | undefined)[];
  outputs: (TensorInfo | undefined)[];
} {
  const index = indexGraph(graphOf(model));
  return {
    inputs: [...index.inputs.values()].map(fromValueInfo),
    outputs: (index.graph.output ?? []).map(fromValueInfo),
  };
}
