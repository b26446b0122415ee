/**
 * core/training — transfer learning: features computed once by a backbone, a small softmax head trained on them.
 *
 * ```ts
 * import { createOnnxFeatureExtractor, saveKerasModel, trainHead, zooEntry } from '@tachyon-serve/core';
 * const extractor = await createOnnxFeatureExtractor({ modelPath, entry: zooEntry('mobilenetv2-fp32') });
 * const result = await trainHead({
 *   images: 'data/flowers', // one sub-folder per class
 *   featureExtractor: extractor.extract,
 *   featureExtractorId: extractor.id,
 *   featureCacheDir: '.cache/features', // a second run skips the backbone
 *   seed: 7,
 *   onProgress: (p) => console.error(p),
 * });
 * await extractor.close();
 * console.log(result.labels, result.validationAccuracy, result.skipped);
 * await saveKerasModel(result.model, 'out/head');
 * ```
 */
export * from './feature-extractor.js';
export * from './onnx-feature-extractor.js';
export * from './image-dataset.js';
export * from './feature-cache.js';
export * from './extract-image-features.js';
export * from './stratified-split.js';
export * from './seeded-random.js';
export * from './head-model.js';
export * from './fit-head.js';
export * from './train-head-options.js';
export * from './train-head.js';
