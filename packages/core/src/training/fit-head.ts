import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { TfjsModule } from '../keras/tfjs-runtime.js';
import { buildSeededRandom } from './seeded-random.js';

/** Metrics of one epoch. `loss` and `trainAccuracy` are averaged over the epoch's batches (dropout on), as Keras does. */
export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  /** On the held-out set after the epoch (inference mode); null without one. */
  readonly validationAccuracy: number | null;
  readonly validationLoss: number | null;
}

export interface HeadTrainingData {
  /** Row-major [samples, features]. */
  readonly features: Float32Array;
  readonly featureSize: number;
  /** Class index per sample. */
  readonly labels: readonly number[];
  readonly classes: number;
  readonly train: readonly number[];
  readonly validation: readonly number[];
}

export interface FitHeadSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly onEpoch?: ((metrics: EpochMetrics) => void) | undefined;
}

/**
 * Trains `model` (a softmax classifier) with Adam on categorical cross-entropy, in a loop of our own rather than
 * `model.fit`: fit shuffles with Math.random and a seeded Dropout layer repeats one mask on every batch, so
 * neither would be reproducible. Here the batch order and each batch's dropout masks come from `seed`.
 */
export async function fitHead(
  tf: TfjsModule,
  model: LayersModel,
  data: HeadTrainingData,
  settings: FitHeadSettings,
): Promise<EpochMetrics[]> {
  const random = buildSeededRandom(settings.seed);
  const rows = (indices: readonly number[]) => {
    const x = new Float32Array(indices.length * data.featureSize);
    indices.forEach((s, i) =>
      x.set(data.features.subarray(s * data.featureSize, (s + 1) * data.featureSize), i * data.featureSize),
    );
    const y = tf.tidy(() =>
      tf
        .oneHot(
          tf.tensor1d(
            indices.map((s) => data.labels[s]!),
            'int32',
          ),
          data.classes,
        )
        .toFloat(),
    );
    return { x: tf.tensor2d(x, [indices.length, data.featureSize]), y };
  };
  const train = rows(data.train);
  const validation = data.validation.length > 0 ? rows(data.validation) : undefined;
  const optimizer = tf.train.adam(settings.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as Variable);
  const metrics: EpochMetrics[] = [];
  try {
    for (let epoch = 1; epoch <= settings.epochs; epoch++) {
      const order = random.shuffle(data.train.map((_, i) => i));
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < order.length; start += settings.batchSize) {
        const batch = order.slice(start, start + settings.batchSize);
        // tf.dropout treats seed 0 as "unseeded".
        const dropoutSeed = random.int() + 1;
        const [loss, hits] = tf.tidy(() => {
          const index = tf.tensor1d(batch, 'int32');
          const x = tf.gather(train.x, index);
          const y = tf.gather(train.y, index);
          let batchHits: Tensor | undefined;
          const batchLoss = optimizer.minimize(
            () => {
              const p = forwardTraining(tf, model, x, dropoutSeed);
              batchHits = tf.keep(countHits(tf, y, p));
              return crossEntropy(tf, y, p);
            },
            true,
            variables,
          )!;
          return [batchLoss, batchHits!];
        });
        lossSum += loss.dataSync()[0]! * batch.length;
        correct += hits.dataSync()[0]!;
        tf.dispose([loss, hits]);
      }
      const evaluated = validation === undefined ? undefined : evaluate(tf, model, validation.x, validation.y);
      const m: EpochMetrics = Object.freeze({
        epoch,
        loss: lossSum / order.length,
        trainAccuracy: correct / order.length,
        validationAccuracy: evaluated?.accuracy ?? null,
        validationLoss: evaluated?.loss ?? null,
      });
      metrics.push(m);
      settings.onEpoch?.(m);
      // Let timers and I/O run between epochs: the steps themselves are synchronous.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    tf.dispose([train.x, train.y, ...(validation ? [validation.x, validation.y] : [])]);
    optimizer.dispose();
  }
  return metrics;
}

/** The model's layers applied in training mode, with dropout masks drawn from `seed`. */
function forwardTraining(tf: TfjsModule, model: LayersModel, x: Tensor, seed: number): Tensor {
  let h = x;
  model.layers.forEach((layer, i) => {
    const className = layer.getClassName();
    if (className === 'InputLayer') return;
    if (className === 'Dropout') h = tf.dropout(h, Number(layer.getConfig()['rate']), undefined, seed + i);
    else h = layer.apply(h) as Tensor;
  });
  return h;
}

function crossEntropy(tf: TfjsModule, y: Tensor, p: Tensor): Scalar {
  return tf.mean(tf.metrics.categoricalCrossentropy(y, p)) as Scalar;
}

function countHits(tf: TfjsModule, y: Tensor, p: Tensor): Tensor {
  return tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), 'float32'));
}

function evaluate(tf: TfjsModule, model: LayersModel, x: Tensor, y: Tensor): { accuracy: number; loss: number } {
  const [accuracy, loss] = tf.tidy(() => {
    const p = model.predict(x) as Tensor;
    return [countHits(tf, y, p).dataSync()[0]! / x.shape[0]!, crossEntropy(tf, y, p).dataSync()[0]!];
  });
  return { accuracy: accuracy!, loss: loss! };
}
