/**
 * core/graph — ONNX graph editing: decode/encode, cut a backbone at its feature tensor, extract its head, probe the
 * dtype/dims of intermediate tensors, fuse stages into one graph, and build a pixel-normalization graph.
 *
 * ```ts
 * import { cutModel, extractSubgraph, fuseModels, probeTensorInfo, readOnnxModel } from './graph/index.js';
 * const model = await readOnnxModel('mobilenetv2-fp32.onnx');
 * const featurizer = cutModel(model, ['flatten_301']);
 * const [feature] = await probeTensorInfo(model, ['flatten_301'], backend); // float32 [-1, 1280]
 * const head = extractSubgraph(model, [feature!], ['logits']);
 * const fused = fuseModels(
 *   [
 *     { model: featurizer, prefix: 'featurizer', inputs: { input: 'image' }, outputs: { flatten_301: 'features' } },
 *     { model: head, prefix: 'head', inputs: { flatten_301: 'features' }, outputs: { logits: 'scores' } },
 *   ],
 *   { inputs: ['image'], outputs: ['scores'] },
 * );
 * await writeFile('fused.onnx', encodeOnnxModel(fused));
 * ```
 */
export * from './onnx-model.js';
export * from './tensor-info.js';
export * from './model-io.js';
export * from './cut-model.js';
export * from './extract-subgraph.js';
export * from './probe-tensors.js';
export * from './fuse-models.js';
export * from './normalization-model.js';
