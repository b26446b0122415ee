// Small conv nets built directly as ONNX protobuf for the quantizer tests: conv + bn + relu + pool + residual add +
// concat + global pool + gemm, seeded random weights, and seeded random calibration/evaluation inputs.
import { onnxModelFromObject, type CalibrationSet, type OnnxModel } from '../../src/index.js';

/** mulberry32: a small seeded PRNG so every run builds the same weights. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Messages in ONNX JSON form (oneof members as plain fields, int64 as numbers), converted by onnxModelFromObject.
type Json = { [field: string]: unknown };
type Node = Json;
type Tensor = Json;

const info = (name: string, dims: (number | string)[]): Json => ({
  name,
  type: {
    tensorType: {
      elemType: 1,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});
const ints = (name: string, values: number[]) => ({ name, type: 7, ints: values }); // AttributeType.INTS
const int = (name: string, i: number) => ({ name, type: 2, i }); // AttributeType.INT

export const INPUT_DIMS = [3, 16, 16] as const;
export const CLASSES = 10;

export interface GeneratedModelOptions {
  /** Add an op the quantizer has no int8 form for (Sigmoid after the pool). @default false */
  unsupportedOp?: boolean;
  seed?: number;
}

/**
 * x [N, 3, 16, 16] -> Conv(8, 3x3) -> BatchNormalization -> Relu -> MaxPool 2x2 = p [N, 8, 8, 8]
 * -> Conv(8, 3x3) -> Relu -> Add(p) = r -> Concat(r, p) [N, 16, 8, 8] -> GlobalAveragePool -> Flatten
 * -> Gemm(10, transB) = logits [N, 10].
 */
export function convNetModel(options: GeneratedModelOptions = {}): OnnxModel {
  const rand = seededRandom(options.seed ?? 7);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const tensor = (name: string, dims: number[], f: () => number): Tensor => ({
    name,
    dataType: 1,
    dims,
    floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, f),
  });
  const initializer: Tensor[] = [
    tensor('w1', [8, 3, 3, 3], () => normal() * 0.3),
    tensor('b1', [8], () => normal() * 0.1),
    tensor('bn_scale', [8], () => 0.5 + rand()),
    tensor('bn_bias', [8], () => normal() * 0.2),
    tensor('bn_mean', [8], () => normal() * 0.2),
    tensor('bn_var', [8], () => 0.5 + rand()),
    tensor('w2', [8, 8, 3, 3], () => normal() * 0.15),
    tensor('b2', [8], () => normal() * 0.1),
    tensor('fc_w', [CLASSES, 16], () => normal() * 0.5),
    tensor('fc_b', [CLASSES], () => normal() * 0.1),
  ];
  const node = (opType: string, input: string[], output: string, attribute: Json[] = []): Node => ({
    name: output,
    opType,
    input,
    output: [output],
    attribute,
  });
  const nodes: Node[] = [
    node('Conv', ['x', 'w1', 'b1'], 'c1', [ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3])]),
    node('BatchNormalization', ['c1', 'bn_scale', 'bn_bias', 'bn_mean', 'bn_var'], 'bn1'),
    node('Relu', ['bn1'], 'relu1'),
    node('MaxPool', ['relu1'], 'p', [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
    node('Conv', ['p', 'w2', 'b2'], 'c2', [ints('pads', [1, 1, 1, 1])]),
    node('Relu', ['c2'], 'relu2'),
    node('Add', ['relu2', 'p'], 'r'),
    node('Concat', ['r', 'p'], 'cat', [int('axis', 1)]),
    node('GlobalAveragePool', ['cat'], 'gap'),
  ];
  let pooled = 'gap';
  if (options.unsupportedOp) {
    nodes.push(node('Sigmoid', ['gap'], 'gate'), node('Mul', ['gap', 'gate'], 'gated'));
    pooled = 'gated';
  }
  nodes.push(
    node('Flatten', [pooled], 'flat', [int('axis', 1)]),
    node('Gemm', ['flat', 'fc_w', 'fc_b'], 'logits', [int('transB', 1)]),
  );
  return onnxModelFromObject({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-test',
    graph: {
      name: 'convnet',
      node: nodes,
      initializer,
      input: [info('x', ['N', ...INPUT_DIMS])],
      output: [info('logits', ['N', CLASSES])],
    },
  });
}

/** `count` seeded inputs of INPUT_DIMS: smooth random patterns (a few sinusoids per channel), like image tensors. */
export function syntheticInputs(count: number, seed: number): Float32Array[] {
  const rand = seededRandom(seed);
  const [c, h, w] = INPUT_DIMS;
  return Array.from({ length: count }, () => {
    const data = new Float32Array(c * h * w);
    for (let ch = 0; ch < c; ch++) {
      const [fx, fy, phase, amp, offset] = [rand() * 0.8, rand() * 0.8, rand() * 6, 0.5 + rand() * 1.5, rand() - 0.5];
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          data[ch * h * w + y * w + x] = offset + amp * Math.sin(fx * x + fy * y + phase) + (rand() - 0.5) * 0.2;
    }
    return data;
  });
}

export function arrayCalibrationSet(samples: readonly Float32Array[]): CalibrationSet {
  return { size: samples.length, sampleDims: [...INPUT_DIMS], read: async (i) => samples[i]! };
}
