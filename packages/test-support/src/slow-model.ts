// A deliberately slow image model for scheduling tests: 8x8 image -> mean over H, W -> [N, 3] -> MatMul to 2048 ->
// `depth` x (MatMul 2048x2048 + Relu) -> MatMul to 4 classes. One weight matrix is shared by every layer, so the file
// stays small while each call costs depth x 2048 x 2048 multiply-adds per row plus the weight reads.
import onnxProto from 'onnx-proto';
import { createTinyImageService } from './tiny-image-service.js';
import { encodeOnnxModel, floatValueInfo } from '@tachyon-serve/core';

const { onnx } = onnxProto;
const WIDTH = 2048;
export const SLOW_LABELS: readonly string[] = Object.freeze(['a', 'b', 'c', 'd']);

function weights(rows: number, cols: number, seed: number): onnxProto.onnx.ITensorProto {
  const data = new Float32Array(rows * cols);
  // Scaled so activations neither vanish nor blow up through the layers (Relu keeps about half).
  const scale = Math.sqrt(2 / rows);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898 + seed) * scale;
  return { name: `w${seed}`, dataType: 1, dims: [rows, cols], rawData: new Uint8Array(data.buffer) };
}

export function buildSlowModel(depth: number): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = [
    {
      name: 'mean',
      opType: 'ReduceMean',
      input: ['x'],
      output: ['pooled'],
      attribute: [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 3] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ],
    },
    { name: 'in', opType: 'MatMul', input: ['pooled', 'w1'], output: ['h0'] },
  ];
  for (let i = 0; i < depth; i++) {
    nodes.push({ name: `mm${i}`, opType: 'MatMul', input: [`h${i}`, 'w2'], output: [`m${i}`] });
    nodes.push({ name: `relu${i}`, opType: 'Relu', input: [`m${i}`], output: [`h${i + 1}`] });
  }
  nodes.push({ name: 'out', opType: 'MatMul', input: [`h${depth}`, 'w3'], output: ['logits'] });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-test',
    graph: {
      name: 'slow',
      node: nodes,
      initializer: [weights(3, WIDTH, 1), weights(WIDTH, WIDTH, 2), weights(WIDTH, SLOW_LABELS.length, 3)],
      input: [floatValueInfo('x', ['N', 3, 8, 8])],
      output: [floatValueInfo('logits', ['N', SLOW_LABELS.length])],
    },
  });
  return encodeOnnxModel(model);
}

/** Writes slow.onnx and slow.zip (image 8x8 -> slow model -> classifier) into `dir`; returns the zip's path. */
export async function createSlowService(dir: string, depth: number): Promise<string> {
  return createTinyImageService(dir, {
    name: 'slow',
    description: 'a deliberately slow model for scheduling tests',
    model: buildSlowModel(depth),
    labels: SLOW_LABELS,
  });
}
