// The near no-op model of the serving-overhead scenario: x [N, 3, 8, 8] float32 -> ReduceMean over H, W -> MatMul
// [3, 10] + bias -> logits [N, 10]. Tiny, so what is timed is the serving path and not the model; served by tachyon
// as a service definition whose image stage stretches to 8x8 (no core preset is that small, a definition can say so).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import {
  ServiceDefinition,
  classifierStage,
  encodeOnnxModel,
  floatValueInfo,
  imageStage,
  onnxStage,
  type ModelSources,
  type PreprocessOptions,
} from '@tachyon-serve/core';
import type { PeerPreprocess } from './raw-peer.js';

const { onnx } = onnxProto;

export const NOOP = Object.freeze({ side: 8, classes: 10, input: 'x', output: 'logits' });
export const NOOP_LABELS: readonly string[] = Object.freeze(
  Array.from({ length: NOOP.classes }, (_, i) => `class-${i}`),
);

/** The image stage of the no-op definition and the identical preprocessing of the plain handler. */
export const NOOP_PREPROCESS: PreprocessOptions = Object.freeze({
  resize: 'stretch',
  size: [NOOP.side, NOOP.side] as [number, number],
  interpolation: 'bilinear',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406] as [number, number, number],
  std: [0.229, 0.224, 0.225] as [number, number, number],
  layout: 'NCHW',
});
export const NOOP_PEER_PREPROCESS: PeerPreprocess = Object.freeze({
  kind: 'stretch',
  width: NOOP.side,
  height: NOOP.side,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
});

export function buildNoopModel(): Uint8Array {
  const weights = Array.from({ length: 3 * NOOP.classes }, (_, i) => Math.sin(i + 1) * 0.5);
  const bias = Array.from({ length: NOOP.classes }, (_, i) => (i - NOOP.classes / 2) * 0.01);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-bench',
    graph: {
      name: 'noop',
      node: [
        {
          name: 'mean',
          opType: 'ReduceMean',
          input: [NOOP.input],
          output: ['pooled'],
          attribute: [
            { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 3] },
            { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
          ],
        },
        { name: 'matmul', opType: 'MatMul', input: ['pooled', 'w'], output: ['projected'] },
        { name: 'bias', opType: 'Add', input: ['projected', 'b'], output: [NOOP.output] },
      ],
      initializer: [
        { name: 'w', dataType: 1, dims: [3, NOOP.classes], floatData: weights },
        { name: 'b', dataType: 1, dims: [NOOP.classes], floatData: bias },
      ],
      input: [floatValueInfo(NOOP.input, ['N', 3, NOOP.side, NOOP.side])],
      output: [floatValueInfo(NOOP.output, ['N', NOOP.classes])],
    },
  });
  return encodeOnnxModel(model);
}

/** Writes noop.onnx and noop.zip (image 8x8 -> model -> classifier) into `dir`. */
export async function createNoopService(
  dir: string,
  sources: ModelSources,
): Promise<{ modelPath: string; zipPath: string }> {
  const modelPath = join(dir, 'noop.onnx');
  await writeFile(modelPath, buildNoopModel());
  const def = new ServiceDefinition('noop', 'bench:server near no-op model');
  def.pipeline.push(
    imageStage(NOOP_PREPROCESS),
    onnxStage(modelPath, { name: 'model', inputs: { [NOOP.input]: 'pixels' }, outputs: { [NOOP.output]: 'scores' } }),
    classifierStage({ labels: NOOP_LABELS, outputKind: 'logits', topK: 5, inputs: { scores: 'scores' } }),
  );
  const saved = await def.save(join(dir, 'noop.zip'), { sources });
  return { modelPath, zipPath: saved.path };
}

/** An 8x8 JPEG made from the benchmark image, so decoding it costs next to nothing. */
export function tinyJpeg(from: Uint8Array): Promise<Buffer> {
  return sharp(from).resize(NOOP.side, NOOP.side, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
}
