/**
 * core/image — JPEG/PNG/WebP bytes -> normalized float32 tensor for image classifiers, with sharp (and libjpeg-turbo
 * directly for plain JPEGs: jpeg-turbo.ts).
 *
 * ```ts
 * import { compilePreprocess, preprocessImage, presetByName, tensorElementsPerImage } from './image/index.js';
 * const config = presetByName('torchvision224'); // or compilePreprocess({ size: [256, 256], layout: 'NHWC' })
 * const one = await preprocessImage(jpegBytes, config); // { data: Float32Array, dims: [1, 3, 224, 224] }
 * // batching without copies: each image written at its own offset
 * const per = tensorElementsPerImage(config);
 * const batch = new Float32Array(images.length * per);
 * await Promise.all(images.map((b, i) => preprocessImage(b, config, { data: batch, offset: i * per })));
 * ```
 */
export * from './preprocess-options.js';
export * from './presets.js';
export * from './image-format.js';
export * from './resize-geometry.js';
export * from './preprocess.js';
export { jpegDecoder, type JpegDecoder } from './jpeg-turbo.js';
