/**
 * @tachyon-serve/core — the engine: runtime, preprocessing, zoo, labels. Never imports fastify or grpc.
 *
 * ```ts
 * import { createBackend, compileModelSources, preprocessImage, presetByName, resolveZooModel, topK,
 *   imagenetClassNames, zooEntry } from '@tachyon-serve/core';
 * const entry = zooEntry('mobilenetv2-int8');
 * const { path } = await resolveZooModel(entry, compileModelSources({ modelPath: ['../shared/models'] }));
 * const backend = createBackend(); // the registered runtime with the highest priority: onnxruntime-cpu
 * const session = await backend.createSession(path);
 * const input = await preprocessImage(jpegBytes, presetByName(entry.preset));
 * const out = await session.run({ [entry.input]: { dtype: 'float32', dims: input.dims, data: input.data } });
 * console.log(topK(out[entry.output]!.data as Float32Array, 5, imagenetClassNames(), entry.outputKind));
 * await backend.close();
 * ```
 */
export * from './tensor/index.js';
export * from './backends/index.js';
export * from './labels/index.js';
export * from './config/index.js';
export * from './zoo/index.js';
export * from './image/index.js';
export * from './pipeline/index.js';
export * from './graph/index.js';
export * from './service-def/index.js';
export * from './service-def/stage-specs.js';
export * from './service-def/service-definition.js';
export * from './keras/index.js';
export * from './training/index.js';
export * from './service-def/featurizer-model.js';
export * from './registry/index.js';
export * from './scheduler/index.js';
export * from './quantize/index.js';
export * from './controller/index.js';
export * from './serving/index.js';
