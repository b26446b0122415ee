// Helpers for the core/graph tests: real images batched through a preset, models run from temporary files, and
// tiny hand-built ONNX graphs for the edge cases the real models do not have.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  preprocessImage,
  presetByName,
  tensorElementsPerImage,
  type OnnxRuntimeBackend,
  type TensorData,
} from '../../src/index.js';
import { encodeOnnxModel, onnxModelFromObject, type OnnxModel } from '../../src/graph/index.js';
import { sampleImagesDir } from '@tachyon-serve/test-support';

/** A few real ImageNet images of different classes (fish, bird, dog, vehicle). */
export const SAMPLE_IMAGES = [
  'n01440764_tench.JPEG',
  'n01530575_brambling.JPEG',
  'n02099601_golden_retriever.JPEG',
  'n03792782_mountain_bike.JPEG',
] as const;

export async function readSampleImages(): Promise<Buffer[]> {
  return Promise.all(SAMPLE_IMAGES.map((f) => readFile(join(sampleImagesDir(), f))));
}

/** The sample images preprocessed with a catalog preset, as one [N, 3, H, W] float32 batch. */
export async function sampleBatch(preset: string): Promise<TensorData> {
  const config = presetByName(preset);
  const images = await readSampleImages();
  const per = tensorElementsPerImage(config);
  const data = new Float32Array(per * images.length);
  await Promise.all(images.map((bytes, i) => preprocessImage(bytes, config, { data, offset: i * per })));
  return { dtype: 'float32', dims: [images.length, 3, config.size[0], config.size[1]], data };
}

/** Writes the model to a temporary file (removed after the test) and runs it once on `feeds`. */
export async function runModel(
  t: TestContext,
  backend: OnnxRuntimeBackend,
  model: OnnxModel,
  feeds: Record<string, TensorData>,
): Promise<Record<string, TensorData>> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-graph-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'model.onnx');
  await writeFile(path, encodeOnnxModel(model));
  const session = await backend.createSession(path, { warmupRuns: 0 });
  try {
    return await session.run(feeds);
  } finally {
    await session.close();
  }
}

export function maxAbsDiff(a: TensorData, b: TensorData): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) throw new Error(`length ${x.length} != ${y.length}`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

/** Indexes of the k largest scores of row `row` of a [N, C] tensor. */
export function topIndexes(t: TensorData, row: number, k: number): number[] {
  const classes = t.dims[1]!;
  const scores = Array.from((t.data as Float32Array).subarray(row * classes, (row + 1) * classes));
  return scores
    .map((s, i) => [s, i] as const)
    .sort((p, q) => q[0] - p[0] || p[1] - q[1])
    .slice(0, k)
    .map((p) => p[1]);
}

// ---- tiny generated graphs -------------------------------------------------------------------------------------
// Written in ONNX's JSON form (oneof members as plain fields, int64 as numbers) and converted by onnxModelFromObject.

type Dims = readonly (number | string)[];
/** A message in ONNX JSON form. */
export type JsonMessage = { [field: string]: unknown };

export function floatInfo(name: string, dims: Dims): JsonMessage {
  return {
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function floatTensor(name: string, dims: number[], values: number[]): JsonMessage {
  return { name, dataType: 1, dims, floatData: values };
}

export function node(opType: string, input: string[], output: string[], attribute: JsonMessage[] = []): JsonMessage {
  return { name: `${opType}_${output[0]}`, opType, input, output, attribute };
}

export function buildModel(graph: JsonMessage, opset = 13, irVersion = 7): OnnxModel {
  return onnxModelFromObject({ irVersion, opsetImport: [{ domain: '', version: opset }], producerName: 'test', graph });
}

/**
 * x [N, 2] -> a = x + c1 -> b = a * c2 -> y = Relu(b); a second branch z = x - c1 that y does not need.
 * Also a value_info entry for every intermediate.
 */
export function chainModel(opset = 13): OnnxModel {
  return buildModel(
    {
      name: 'chain',
      node: [
        node('Add', ['x', 'c1'], ['a']),
        node('Sub', ['x', 'c1'], ['z']),
        node('Mul', ['a', 'c2'], ['b']),
        node('Relu', ['b'], ['y']),
      ],
      initializer: [floatTensor('c1', [2], [1, -1]), floatTensor('c2', [2], [2, 3]), floatTensor('unused', [1], [7])],
      input: [floatInfo('x', ['N', 2])],
      output: [floatInfo('y', ['N', 2]), floatInfo('z', ['N', 2])],
      valueInfo: [floatInfo('a', ['N', 2]), floatInfo('b', ['N', 2])],
    },
    opset,
  );
}

/** x [2], flag bool: t = x * k; y = If(flag) { Identity(t) } else { Neg(t) } — t reaches If only from outer scope. */
export function ifModel(dims: Dims = [2]): OnnxModel {
  const branch = (opType: string, out: string) => ({
    name: out,
    node: [node(opType, ['t'], [out])],
    output: [floatInfo(out, dims)],
  });
  return buildModel({
    node: [
      node('Mul', ['x', 'k'], ['t']),
      node(
        'If',
        ['flag'],
        ['y'],
        [
          { name: 'then_branch', type: 5, g: branch('Identity', 'then_out') },
          { name: 'else_branch', type: 5, g: branch('Neg', 'else_out') },
        ],
      ),
      node('Relu', ['x'], ['unrelated']),
    ],
    initializer: [floatTensor('k', [2], [2, 3])],
    input: [floatInfo('x', dims), { name: 'flag', type: { tensorType: { elemType: 9, shape: { dim: [] } } } }],
    output: [floatInfo('y', dims), floatInfo('unrelated', dims)],
  });
}
