/**
 * core/quantize — tachyon's own post-training int8 quantizer (QDQ form, onnxruntime CPU kernels) and accuracy
 * evaluation of image classifiers.
 *
 * ```ts
 * import { imageCalibrationSet, listImageFiles, presetByName, quantizeOnnxFile, spreadSample } from '@tachyon-serve/core';
 * const files = spreadSample(await listImageFiles('calibration-images/'), 200);
 * const report = await quantizeOnnxFile('squeezenet1.1-fp32.onnx', 'squeezenet1.1-int8.onnx',
 *   imageCalibrationSet(files, presetByName('caffe227')), { method: 'minmax', perChannel: true });
 * console.log(report.fusion?.ops.QLinearConv, report.warnings);
 * ```
 */
export * from './quantize-options.js';
export * from './calibrate.js';
export * from './image-calibration-set.js';
export * from './inspect-fusion.js';
export * from './quantize-model.js';
export * from './evaluate-accuracy.js';
