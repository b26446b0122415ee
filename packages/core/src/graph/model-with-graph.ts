import { withFields } from './onnx-message.js';
import type { OnnxGraph, OnnxModel } from './onnx-model.js';
import { ModelProtoSchema } from './proto/onnx/onnx_pb.js';

/**
 * A new model around `graph` that keeps every other field of `model` as it was (IR version unless `irVersion` is
 * given, opset imports, producer, domain, version, doc string, metadata, local functions, device configurations and
 * fields newer than the schema), byte for byte. `trainingInfo` describes training of the original graph and is not
 * carried over.
 */
export function modelWithGraph(model: OnnxModel, graph: OnnxGraph, irVersion?: bigint): OnnxModel {
  return withFields(ModelProtoSchema, model, {
    graph,
    trainingInfo: [],
    ...(irVersion === undefined ? {} : { irVersion }),
  });
}
