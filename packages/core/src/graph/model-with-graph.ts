import onnxProto from 'onnx-proto';
import type { OnnxGraph, OnnxModel } from './onnx-model.js';

const { onnx } = onnxProto;

/**
 * A new model around `graph` that keeps `model`'s own fields: IR version (or `irVersion`), opset imports, producer,
 * domain, version, doc string, metadata and local functions. `trainingInfo` describes training of the original
 * graph and is not carried over.
 */
export function modelWithGraph(model: OnnxModel, graph: OnnxGraph, irVersion: OnnxModel['irVersion'] = model.irVersion): OnnxModel {
  return onnx.ModelProto.create({
    irVersion,
    opsetImport: model.opsetImport,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    metadataProps: model.metadataProps,
    functions: model.functions,
    graph,
  });
}
