// A model whose session throws on one input and works on every other: the "session that throws" fault. An 8x8
// image is averaged; when the mean is above 0.99 (an all-white image) a Gather reads row 5 of a 2-row table, which
// onnxruntime refuses at run time ("indices element out of data bounds"). Warm-up (zeros) and real photos pass.
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { createTinyImageService } from '@tachyon-serve/test-support/models';
import { encodeOnnxModel, floatValueInfo } from '@tachyon-serve/core';

const { onnx } = onnxProto;
export const POISON_LABELS: readonly string[] = Object.freeze(['a', 'b', 'c', 'd']);
const FLOAT = 1;
const INT64 = 7;

const floats = (name: string, dims: number[], values: number[]): onnxProto.onnx.ITensorProto => ({
  name,
  dataType: FLOAT,
  dims,
  floatData: values,
});
const ints = (name: string, ...values: number[]) => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: values,
});
const int = (name: string, value: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

export function buildPoisonModel(): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-reliability',
    graph: {
      name: 'poison',
      node: [
        { opType: 'ReduceMean', input: ['x'], output: ['pooled'], attribute: [ints('axes', 2, 3), int('keepdims', 0)] },
        { opType: 'MatMul', input: ['pooled', 'w'], output: ['base'] },
        {
          opType: 'ReduceMean',
          input: ['pooled'],
          output: ['mean'],
          attribute: [ints('axes', 0, 1), int('keepdims', 0)],
        },
        { opType: 'Greater', input: ['mean', 'threshold'], output: ['white'] },
        { opType: 'Cast', input: ['white'], output: ['white64'], attribute: [int('to', INT64)] },
        { opType: 'Mul', input: ['white64', 'five'], output: ['row'] },
        { opType: 'Gather', input: ['table', 'row'], output: ['bias'], attribute: [int('axis', 0)] },
        { opType: 'Add', input: ['base', 'bias'], output: ['logits'] },
      ],
      initializer: [
        floats('w', [3, 4], [1, 0, 0, 0.5, 0, 1, 0, 0.5, 0, 0, 1, 0.5]),
        floats('threshold', [], [0.99]),
        { name: 'five', dataType: INT64, dims: [], int64Data: [5] },
        floats('table', [2, 4], [0, 0, 0, 0, 1, 1, 1, 1]),
      ],
      input: [floatValueInfo('x', ['N', 3, 8, 8])],
      output: [floatValueInfo('logits', ['N', POISON_LABELS.length])],
    },
  });
  return encodeOnnxModel(model);
}

/** Writes poison.onnx and poison.zip (8x8 image -> poison model -> classifier) into `dir`; returns the zip's path. */
export async function createPoisonService(dir: string): Promise<string> {
  return createTinyImageService(dir, {
    name: 'poison',
    description: 'throws on an all-white image (reliability suite)',
    model: buildPoisonModel(),
    labels: POISON_LABELS,
  });
}

/** The poison pill: a 32x32 all-white PNG. */
export function whitePng(): Promise<Buffer> {
  return sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .png()
    .toBuffer();
}
