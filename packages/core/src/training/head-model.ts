import type { LayersModel } from '@tensorflow/tfjs';
import type { TfjsModule } from '../keras/tfjs-runtime.js';
import { buildSeededRandom } from './seeded-random.js';

export interface HeadModelShape {
  features: number;
  classes: number;
  /** Units of one hidden Dense(relu) layer; 0 for a linear softmax head. */
  hidden: number;
  /** Dropout rate before each Dense layer during training; 0 for none. */
  dropout: number;
  /** Seeds the weight initializers. */
  seed: number;
}

/**
 * The classifier head: [Dropout] -> [Dense(hidden, relu) -> [Dropout]] -> Dense(classes, softmax), Glorot-uniform
 * kernels from `seed`, zero biases. Layer names are fixed so a saved head is the same file from run to run.
 * Every layer is one `kerasDenseHeadToOnnx` converts.
 */
export function buildHeadModel(tf: TfjsModule, shape: HeadModelShape): LayersModel {
  const random = buildSeededRandom(shape.seed);
  const kernel = () => tf.initializers.glorotUniform({ seed: random.int() });
  const layers = [];
  let inputShape: number[] | undefined = [shape.features];
  const first = () => {
    const args = inputShape === undefined ? {} : { inputShape };
    inputShape = undefined;
    return args;
  };
  if (shape.dropout > 0) layers.push(tf.layers.dropout({ ...first(), rate: shape.dropout, name: 'features_dropout' }));
  if (shape.hidden > 0) {
    layers.push(
      tf.layers.dense({
        ...first(),
        units: shape.hidden,
        activation: 'relu',
        kernelInitializer: kernel(),
        name: 'hidden',
      }),
    );
    if (shape.dropout > 0) layers.push(tf.layers.dropout({ rate: shape.dropout, name: 'hidden_dropout' }));
  }
  layers.push(
    tf.layers.dense({
      ...first(),
      units: shape.classes,
      activation: 'softmax',
      kernelInitializer: kernel(),
      name: 'classes',
    }),
  );
  return tf.sequential({ layers, name: 'head' });
}
