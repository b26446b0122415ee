import type { ZooEntry } from './zoo-entry.js';

const ZOO = 'https://github.com/onnx/models/raw/main/validated/vision/classification';

/**
 * Seed models of the official ONNX Model Zoo (github.com/onnx/models, `validated/vision/classification`).
 *
 * sha256 and size: the repository's Git LFS pointers (`validated/` layout at commit
 * 4c46cd00fbdb7cd30b6c1c17ab54f2e1f4f7b177; older `vision/` layout at the commit noted on the entry). Where no pointer
 * of the current file could be read, its `ONNX_HUB_MANIFEST.json` (commit 06189933463e51adb5ac34a5ead67cf6a3f51e2d),
 * which stores the sha256 and byte length of the real files and agrees with every pointer that could be compared.
 * io names, shapes and feature tensors: the same manifest (read by onnxruntime); accuracy: each model's README.md.
 */
export const SEED_MODELS: readonly ZooEntry[] = [
  // sha256/size: ONNX_HUB_MANIFEST.json. The older pointer at vision/… (commit 652f4e4a) is an earlier upload.
  {
    id: 'resnet50-fp32',
    family: 'resnet50',
    dtype: 'fp32',
    url: `${ZOO}/resnet/model/resnet50-v1-12.onnx`,
    fileName: 'resnet50-v1-12.onnx',
    sha256: '3f03fdef724b22947eed826f1eef1dc5c34151bb4c37d634f1db89dfa2dd1526',
    size: 102576593,
    input: 'data',
    output: 'resnetv17_dense0_fwd',
    inputShape: [-1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 12,
    accuracy: { top1: 74.97, top5: 92.33, source: 'onnx/models validated/vision/classification/resnet/README.md' },
    featureTensor: 'resnetv17_pool1_fwd',
    description: 'ResNet-50 v1 (MXNet Gluon), opset 12; features [N,2048,1,1], scores [N,1000]',
  },
  // sha256/size: LFS pointer (validated/, 4c46cd00); the manifest agrees.
  {
    id: 'resnet50-int8',
    family: 'resnet50',
    dtype: 'int8',
    url: `${ZOO}/resnet/model/resnet50-v1-12-int8.onnx`,
    fileName: 'resnet50-v1-12-int8.onnx',
    sha256: 'c234f30975989788b4405f25253275aae247ab6dbdd34aaa69ab0a59ff76f6d0',
    size: 25816052,
    input: 'data',
    output: 'resnetv17_dense0_fwd',
    inputShape: [-1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 12,
    accuracy: { top1: 74.77, top5: 92.32, source: 'onnx/models validated/vision/classification/resnet/README.md' },
    // The zoo's own feature-tensor table (workflow_scripts of onnx/models) names this uint8 tensor.
    featureTensor: 'flatten_473_quantized',
    description: 'ResNet-50 v1 quantized to int8 QLinear operators with Intel Neural Compressor (static post-training)',
  },
  // sha256/size: LFS pointer (validated/, 4c46cd00); the manifest agrees. The zoo publishes no int8 ResNet-152.
  {
    id: 'resnet152-fp32',
    family: 'resnet152',
    dtype: 'fp32',
    url: `${ZOO}/resnet/model/resnet152-v1-7.onnx`,
    fileName: 'resnet152-v1-7.onnx',
    sha256: 'b0ec92437bf8c9d0739bf9bafdea9638e13f9e3c1e2fb766ad546cc182fd3f6d',
    size: 241816206,
    input: 'data',
    output: 'resnetv19_dense0_fwd',
    inputShape: [-1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 7,
    accuracy: { top1: 77.11, top5: 93.61, source: 'onnx/models validated/vision/classification/resnet/README.md' },
    featureTensor: 'resnetv19_pool1_fwd',
    description: 'ResNet-152 v1 (MXNet Gluon), opset 7; features [N,2048,1,1], scores [N,1000]',
  },
  // sha256/size: LFS pointer (validated/, 4c46cd00); the manifest agrees. The README states no preprocessing and only
  // top-1 60.96 (no top-5), measured with RGB torchvision-style input; the Caffe original expects BGR.
  {
    id: 'densenet121-fp32',
    family: 'densenet121',
    dtype: 'fp32',
    url: `${ZOO}/densenet-121/model/densenet-12.onnx`,
    fileName: 'densenet-12.onnx',
    sha256: '0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5',
    size: 32726877,
    input: 'data_0',
    output: 'fc6_1',
    inputShape: [1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'caffe224', // the Caffe DenseNet-121 input (the zoo README states none)
    opset: 12,
    featureTensor: 'pool5_1',
    description:
      'DenseNet-121 (Caffe2, from Caffe), opset 12; batch fixed at 1; scores [1,1000,1,1], features [1,1024,1,1]; ' +
      'zoo top-1 60.96 with RGB input, the Caffe original is BGR (mean 103.94/116.78/123.68, scale 0.017)',
  },
  // sha256/size: LFS pointer (vision/, commit bfe9425b); the manifest agrees.
  {
    id: 'densenet121-int8',
    family: 'densenet121',
    dtype: 'int8',
    url: `${ZOO}/densenet-121/model/densenet-12-int8.onnx`,
    fileName: 'densenet-12-int8.onnx',
    sha256: '22ab62382b43c2757d84832bf7db13569ab22073d2b1c086ab5669be46d89016',
    size: 8901304,
    input: 'data_0',
    output: 'fc6_1',
    inputShape: [1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'caffe224', // the Caffe DenseNet-121 input (the zoo README states none)
    opset: 12,
    description:
      'DenseNet-121 quantized to int8 with Intel Neural Compressor; batch fixed at 1; scores [1,1000,1,1]; ' +
      'zoo top-1 60.20 (no top-5) with RGB input',
  },
  // sha256/size: ONNX_HUB_MANIFEST.json only (no LFS pointer of this file could be read).
  {
    id: 'vgg16-fp32',
    family: 'vgg16',
    dtype: 'fp32',
    url: `${ZOO}/vgg/model/vgg16-12.onnx`,
    fileName: 'vgg16-12.onnx',
    sha256: '722c42f53ca03a5480296bf8f9c85a151de3eed9ec982d7d2302ff6e2900c67b',
    size: 553437752,
    input: 'data',
    output: 'vgg0_dense2_fwd',
    inputShape: [1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 12,
    accuracy: { top1: 72.38, top5: 91.0, source: 'onnx/models validated/vision/classification/vgg/README.md' },
    featureTensor: 'flatten_70',
    description: 'VGG-16 (MXNet Gluon), opset 12; batch fixed at 1; fc7 features [1,4096], scores [1,1000]',
  },
  // sha256/size: LFS pointer (vision/, commit 10837750); the manifest agrees.
  {
    id: 'vgg16-int8',
    family: 'vgg16',
    dtype: 'int8',
    url: `${ZOO}/vgg/model/vgg16-12-int8.onnx`,
    fileName: 'vgg16-12-int8.onnx',
    sha256: '0d0a8e1d69f70404421e37dbad4f8bd21d42758e9f426bd5b39e9e4e9e1afa23',
    size: 138407238,
    input: 'data',
    output: 'vgg0_dense2_fwd',
    inputShape: [1, 3, 224, 224],
    outputKind: 'logits',
    preset: 'torchvision224',
    opset: 12,
    accuracy: { top1: 72.32, top5: 90.97, source: 'onnx/models validated/vision/classification/vgg/README.md' },
    // The zoo's own feature-tensor table (workflow_scripts of onnx/models) names this uint8 tensor.
    featureTensor: 'flatten_70_quantized',
    description: 'VGG-16 quantized to int8 QLinear operators with Intel Neural Compressor; batch fixed at 1',
  },
];
