import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { TachyonError } from '@tachyon-serve/protocol';
import type { IoSpec } from '../backends/backend.js';
import { validateFeeds } from '../backends/validate-feeds.js';
import { isDType, type DType } from '../tensor/dtypes.js';
import type { TensorData } from '../tensor/tensor.js';
import { buildFsLoadHandler, buildFsSaveHandler } from './fs-io-handlers.js';
import { createTfjsRuntime, type TfjsBackendName, type TfjsRuntime } from './tfjs-runtime.js';

/**
 * A Keras model (TensorFlow.js layers format) as a pipeline stage: one input tensor in, one tensor out, e.g. a
 * classifier head float32 [N, F] -> [N, C]. Port names are `input` and `output`.
 */
export class KerasStage {
  /** Read from the model (`model.inputs[0]`); -1 marks a dynamic dimension. Named `input`. */
  readonly input: IoSpec;
  /** Read from the model (`model.outputs[0]`). Named `output`. */
  readonly output: IoSpec;
  #disposed = false;

  private constructor(
    readonly model: LayersModel,
    private readonly runtime: TfjsRuntime,
  ) {
    this.input = ioSpec('input', model.inputs);
    this.output = ioSpec('output', model.outputs);
  }

  /** Wraps a model already in memory (trained, or loaded with `createKerasModel`). The stage does not copy it. */
  static async fromModel(model: LayersModel): Promise<KerasStage> {
    const runtime = await createTfjsRuntime();
    if (!(model instanceof runtime.tf.LayersModel)) throw new TypeError('model must be a tf.LayersModel.');
    try {
      return new KerasStage(model, runtime);
    } catch (error) {
      throw loadFailed('<memory>', error);
    }
  }

  /** See `createKerasModel`. */
  static async load(dir: string): Promise<KerasStage> {
    if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string.');
    const folder = resolve(dir);
    const runtime = await createTfjsRuntime();
    let model: LayersModel;
    try {
      if (!(await stat(folder)).isDirectory()) throw new Error('it is not a folder');
      model = await runtime.tf.loadLayersModel(buildFsLoadHandler(runtime.tf, folder));
    } catch (error) {
      throw loadFailed(dir, error);
    }
    try {
      return new KerasStage(model, runtime);
    } catch (error) {
      model.dispose();
      throw loadFailed(dir, error);
    }
  }

  /** The TensorFlow.js backend the stage runs on. */
  get backend(): TfjsBackendName {
    return this.runtime.backend;
  }

  /** Runs the model on one batch. The input is checked against `input` (dtype, rank, fixed dims, length). */
  async run(input: TensorData): Promise<TensorData> {
    if (this.#disposed) throw new TachyonError('TCH_ERR_SESSION_CLOSED', 'The Keras stage is disposed.');
    validateFeeds([this.input], { input });
    const { tf } = this.runtime;
    const result = tf.tidy(() => {
      const x = tf.tensor(input.data as Float32Array, [...input.dims], 'float32');
      const y = this.model.predict(x);
      return Array.isArray(y) ? y[0]! : y;
    });
    try {
      // A fresh array tfjs allocated for this read (never a SharedArrayBuffer view).
      const data = (await result.data<'float32'>()) as Float32Array<ArrayBuffer>;
      return { dtype: 'float32', dims: [...result.shape], data };
    } finally {
      result.dispose();
    }
  }

  /** Frees the model's weights. Further runs throw TCH_ERR_SESSION_CLOSED. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.model.dispose();
  }
}

/**
 * Loads a Keras model in TensorFlow.js layers format from a folder (`model.json` + the weight shards it lists),
 * reading the files with fs (no tfjs-node, no network). Any failure is TCH_ERR_KERAS_LOAD_FAILED with the reason in
 * the message and `details.reason`.
 */
export function createKerasModel(dir: string): Promise<KerasStage> {
  return KerasStage.load(dir);
}

/** Saves a layers model to `dir` as `model.json` + `group1-shard1of1.bin` (the folder is created; files replaced). */
export async function saveKerasModel(model: LayersModel | KerasStage, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string.');
  const runtime = await createTfjsRuntime();
  const layers = model instanceof KerasStage ? model.model : model;
  if (!(layers instanceof runtime.tf.LayersModel))
    throw new TypeError('model must be a tf.LayersModel or a KerasStage.');
  await layers.save(buildFsSaveHandler(runtime.tf, resolve(dir)));
}

function ioSpec(name: string, tensors: readonly SymbolicTensor[]): IoSpec {
  if (tensors.length !== 1)
    throw new Error(`the model has ${tensors.length} ${name}s; a Keras stage takes exactly one`);
  const tensor = tensors[0]!;
  const dtype: string = tensor.dtype;
  if (!isDType(dtype) || (dtype as DType) !== 'float32')
    throw new Error(`the model ${name} is ${dtype}; a Keras stage takes float32`);
  return Object.freeze({ name, dtype: 'float32', dims: Object.freeze(tensor.shape.map((d) => d ?? -1)) });
}

function loadFailed(dir: string, error: unknown): TachyonError {
  const reason = error instanceof Error ? error.message : String(error);
  return new TachyonError('TCH_ERR_KERAS_LOAD_FAILED', `Keras model "${dir}" cannot be loaded: ${reason}.`, {
    details: { dir, reason },
    cause: error,
  });
}
