/**
 * core/keras — Keras models in TensorFlow.js layers format (model.json + weight shards), on tfjs without
 * tfjs-node: the 'wasm' backend when it loads, else 'cpu'.
 *
 * ```ts
 * import { createKerasModel, kerasDenseHeadToOnnx, saveKerasModel } from '@tachyon-serve/core';
 * const head = await createKerasModel('out/head'); // folder with model.json
 * console.log(head.input.dims, head.output.dims, head.backend); // [-1, 1280] [-1, 5] 'wasm'
 * const scores = await head.run({ dtype: 'float32', dims: [1, 1280], data: features });
 * await saveKerasModel(head.model, 'copy/head'); // model.json + group1-shard1of1.bin
 * const onnxBytes = kerasDenseHeadToOnnx(head.model); // Dense/Softmax/Dropout heads only, for fusing
 * head.dispose();
 * ```
 */
export * from './tfjs-runtime.js';
export * from './fs-io-handlers.js';
export * from './keras-stage.js';
export * from './dense-head-to-onnx.js';
