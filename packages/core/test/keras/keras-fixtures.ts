import type { LayersModel } from '@tensorflow/tfjs';
import { createTfjsRuntime } from '../../src/keras/index.js';

export interface TestHeadShape {
  features: number;
  /** 0: Dense(softmax) only; otherwise Dense(relu) -> Dropout -> Dense(softmax). */
  hidden: number;
  classes: number;
  seed: number;
}

/** A small classifier head with seeded (deterministic) weights, biases made non-zero so they matter. */
export async function buildTestHead(shape: TestHeadShape): Promise<LayersModel> {
  const { tf } = await createTfjsRuntime();
  const init = (offset: number) =>
    tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: shape.seed * 100 + offset });
  const layers = [];
  if (shape.hidden > 0) {
    layers.push(
      tf.layers.dense({
        inputShape: [shape.features],
        units: shape.hidden,
        activation: 'relu',
        kernelInitializer: init(1),
        biasInitializer: init(2),
      }),
      tf.layers.dropout({ rate: 0.3 }),
    );
  }
  layers.push(
    tf.layers.dense({
      ...(shape.hidden > 0 ? {} : { inputShape: [shape.features] }),
      units: shape.classes,
      activation: 'softmax',
      kernelInitializer: init(3),
      biasInitializer: init(4),
    }),
  );
  return tf.sequential({ layers });
}

/** Deterministic pseudo-random rows in [-2, 2). */
export function seededRows(rows: number, cols: number, seed: number): Float32Array<ArrayBuffer> {
  const data = new Float32Array(rows * cols);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    data[i] = (x / 2 ** 32) * 4 - 2;
  }
  return data;
}
