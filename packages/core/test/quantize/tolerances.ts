// Tolerances of the quantizer tests, kept as data: int8 output of the generated conv net (generated-models.ts,
// seed 7) against its fp32 output on 64 seeded inputs it was not calibrated on (calibration: 32 inputs, seed 1).
// maxRelError = max |int8 - fp32| / (max - min of the fp32 logits); minTop1Agreement = share of inputs whose
// argmax agrees. Measured when written (onnxruntime-node 1.30.0, x86-64): minmax 0.022-0.028, percentile the same,
// entropy 0.066-0.089 (it clips these outlier-free activations too early); agreement 62-64 of 64.
export const QUANTIZE_TOLERANCES = Object.freeze({
  minmax: Object.freeze({ maxRelError: 0.05, minTop1Agreement: 0.95 }),
  percentile: Object.freeze({ maxRelError: 0.05, minTop1Agreement: 0.95 }),
  entropy: Object.freeze({ maxRelError: 0.15, minTop1Agreement: 0.9 }),
});

/** The BatchNorm fold is exact up to float rounding. */
export const FOLD_MAX_ABS_ERROR = 1e-4;

/**
 * featurizerStage('mobilenetv2', { quantize }) saved with a tachyon-int8 featurizer, calibrated on 16 sample images
 * (spreadSample of the 1000, minmax) and compared with the fp32 definition on 20 others (index % 50 == 7): how many
 * of the 20 top-1 classes must agree. Measured when written (onnxruntime-node 1.30.0, x86-64): 17 of 20, the same as
 * quantizing the whole model on those 16 images (200 images give 97 % on 800, bench/README.md); one image of slack
 * for other CPUs' integer kernels.
 */
export const FEATURIZER_QUANTIZE_TOLERANCE = Object.freeze({
  calibrationImages: 16,
  evaluationImages: 20,
  minTop1Agreement: 16,
});
