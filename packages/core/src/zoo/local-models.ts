import type { ZooEntry } from './zoo-entry.js';

/**
 * The real pretrained models in ../shared/models (see its README: origin, conversion, accuracy). They have no public
 * URL of their own: they resolve from the cache or a mirror folder only.
 */
export const LOCAL_MODELS: readonly ZooEntry[] = [
  {
    id: 'mobilenetv2-int8',
    family: 'mobilenetv2',
    dtype: 'int8',
    fileName: 'mobilenetv2-int8-qdq.onnx',
    sha256: '78deabcd06bf457f2fc3d04a592737b7ad18cac1046bef835e564861ed8fd0a5',
    size: 3587233,
    input: 'input',
    output: 'logits',
    inputShape: [-1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 13,
    // float32 [N, 1280]: the DequantizeLinear after the quantized global pool + flatten, so features are float.
    featureTensor: 'dq_1074',
    accuracy: { top1: 84.4, top5: 96.9, source: 'shared/models/README.md, sample-1000' },
    description: "torchvision's post-training-quantized MobileNetV2 (qnnpack int8) as an ONNX QDQ graph",
  },
  {
    id: 'mobilenetv2-fp32',
    family: 'mobilenetv2',
    dtype: 'fp32',
    fileName: 'mobilenetv2-fp32.onnx',
    sha256: '4f2c9d4b68929972b3726bf5bdff1a2f86115797f1effa14f07593544d80e75a',
    size: 13965800,
    input: 'input',
    output: 'logits',
    inputShape: [-1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 13,
    // float32 [N, 1280]: global average pool + flatten, the input of the classifier Gemm.
    featureTensor: 'flatten_301',
    accuracy: { top1: 83.8, top5: 97.0, source: 'shared/models/README.md, sample-1000' },
    description: 'The same MobileNetV2 with its int8 weights dequantized to fp32',
  },
  {
    id: 'squeezenet1.1-fp32',
    family: 'squeezenet1.1',
    dtype: 'fp32',
    fileName: 'squeezenet1.1-fp32.onnx',
    sha256: '70b69604bb0bf8ec37a8345c9bb056e33a6b632ccb860a7be6855b5592a398a3',
    size: 4954896,
    input: 'input',
    output: 'prob',
    inputShape: [-1, 3, 227, 227],
    outputKind: 'probabilities',
    preset: 'caffe227',
    opset: 13,
    // float32 [N, 512, 14, 14]: fire9's concat (dropout folded away); the head is conv10, relu, global pool, softmax.
    featureTensor: 'fire9/concat_drop9',
    accuracy: { top1: 68.0, top5: 87.1, source: 'shared/models/README.md, sample-1000' },
    description: 'The original Caffe SqueezeNet v1.1 weights (BGR input, softmax output)',
  },
];
