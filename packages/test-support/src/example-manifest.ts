import { createHash } from 'node:crypto';
import type { ServiceManifest } from '@tachyon-serve/core';

/** The documented example: resnet50-int8 featurizer + its own ImageNet head + the default classifier. */
export function exampleManifest(): ServiceManifest {
  return {
    schemaVersion: 1,
    name: 'resnet50-int8-imagenet',
    description: 'ResNet-50 int8 featurizer with the default ImageNet classifier',
    createdWith: 'tachyon 0.1.0',
    createdAt: '2026-01-31T12:00:00Z',
    stages: [
      {
        kind: 'image',
        name: 'preprocess',
        inputs: { images: 'images' },
        outputs: { tensor: 'pixels' },
        preprocess: {
          resize: 'short-side-crop',
          resizeShortSide: 256,
          size: [224, 224],
          channelOrder: 'RGB',
          layout: 'NCHW',
        },
      },
      {
        kind: 'featurizer',
        name: 'featurizer',
        model: 'resnet50-int8',
        featureTensor: 'resnetv17_pool1_fwd',
        file: 'models/resnet50-int8.featurizer.onnx',
        inputs: { data: 'pixels' },
        outputs: { resnetv17_pool1_fwd: 'features' },
      },
      {
        kind: 'onnx',
        name: 'head',
        file: 'models/resnet50-int8.head.onnx',
        inputs: { resnetv17_pool1_fwd: 'features' },
        outputs: { resnetv17_dense0_fwd: 'scores' },
      },
      {
        kind: 'classifier',
        name: 'classifier',
        outputKind: 'logits',
        topK: 5,
        labels: 'labels.txt',
        inputs: { scores: 'scores' },
        outputs: {},
      },
    ],
    files: [
      fileEntry('labels.txt', 'tench\ngoldfish\ngreat white shark\n'),
      fileEntry('models/resnet50-int8.featurizer.onnx', 'not really onnx: featurizer'),
      fileEntry('models/resnet50-int8.head.onnx', 'not really onnx: head'),
    ],
  };
}

/** The bytes each example file has. */
export function exampleFiles(): { path: string; bytes: Uint8Array }[] {
  return [
    { path: 'labels.txt', bytes: Buffer.from('tench\ngoldfish\ngreat white shark\n') },
    { path: 'models/resnet50-int8.featurizer.onnx', bytes: Buffer.from('not really onnx: featurizer') },
    { path: 'models/resnet50-int8.head.onnx', bytes: Buffer.from('not really onnx: head') },
  ];
}

export function fileEntry(path: string, text: string | Uint8Array): { path: string; sha256: string; size: number } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}
