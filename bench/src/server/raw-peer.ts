// The peer of bench:server: image bytes -> top-5 with nothing but sharp and onnxruntime-node, written the way a user
// without tachyon would write it, in the calling thread. Used in-process for the MobileNetV2 comparison and inside
// the plain fastify handler of the serving-overhead comparison.
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { compileWorkerPoolOptions, preprocessImage, type PreprocessConfig } from '@tachyon-serve/core';

/** How the peer turns bytes into the model's input: torchvision's Resize(256) + CenterCrop(224), or a plain stretch. */
export type PeerPreprocess =
  | { kind: 'short-side-crop'; shortSide: number; crop: number; mean: readonly number[]; std: readonly number[] }
  | { kind: 'stretch'; width: number; height: number; mean: readonly number[]; std: readonly number[] };

export const TORCHVISION224: PeerPreprocess = Object.freeze({
  kind: 'short-side-crop',
  shortSide: 256,
  crop: 224,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
});

/** Core's `preprocessImage` as a peer's `toTensor`: the peer then preprocesses exactly as tachyon does. */
export function tachyonPreprocessor(config: PreprocessConfig): (bytes: Uint8Array) => Promise<ort.Tensor> {
  return async (bytes) => {
    const { data, dims } = await preprocessImage(bytes, config);
    return new ort.Tensor('float32', data, dims);
  };
}

export interface PeerOptions {
  modelPath: string;
  input: string;
  output: string;
  preprocess: PeerPreprocess;
  labels: readonly string[];
  /** Whether the model outputs logits (softmax applied) or probabilities. */
  outputKind: 'logits' | 'probabilities';
  /** @default os.availableParallelism(): tachyon's intra-op threads with one worker */
  intraOpNumThreads?: number;
  /**
   * onnxruntime's `session.intra_op.allow_spinning` (onnxruntime's own default is to spin).
   * @default tachyon's (compileWorkerPoolOptions().intraOpSpinning): the peer runs with tachyon's session options
   */
  intraOpSpinning?: boolean;
}

export interface PeerTop {
  index: number;
  label: string;
  score: number;
}

/**
 * sharp decodes and resizes (linear kernel: PIL's antialiased bilinear, as torchvision uses), a JS loop crops the
 * centre and normalizes into NCHW float32, InferenceSession.run with tachyon's session options (cpu, intra-op threads
 * = cores, inter-op 1, sequential, graph optimization all, intra-op spinning as tachyon's), then softmax and top-k.
 */
export class RawPeerClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly options: PeerOptions,
  ) {}

  static async create(options: PeerOptions): Promise<RawPeerClassifier> {
    const session = await ort.InferenceSession.create(options.modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: {
        session: {
          intra_op: {
            allow_spinning: (options.intraOpSpinning ?? compileWorkerPoolOptions().intraOpSpinning) ? '1' : '0',
          },
        },
      },
    });
    return new RawPeerClassifier(session, options);
  }

  get intraOpNumThreads(): number {
    return this.options.intraOpNumThreads ?? availableParallelism();
  }

  async toTensor(bytes: Uint8Array): Promise<ort.Tensor> {
    const p = this.options.preprocess;
    const pipeline =
      p.kind === 'stretch'
        ? sharp(bytes).resize(p.width, p.height, { fit: 'fill', kernel: 'linear' })
        : sharp(bytes).resize(p.shortSide, p.shortSide, { fit: 'outside', kernel: 'linear' });
    const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const [w, h] = p.kind === 'stretch' ? [p.width, p.height] : [p.crop, p.crop];
    // torchvision CenterCrop: offsets int(round((size - crop) / 2)).
    const left = Math.round((info.width - w) / 2);
    const top = Math.round((info.height - h) / 2);
    const plane = w * h;
    const out = new Float32Array(3 * plane);
    const channels = info.channels;
    for (let c = 0; c < 3; c++) {
      const scale = 1 / (255 * p.std[c]!);
      const shift = p.mean[c]! / p.std[c]!;
      const base = c * plane;
      for (let y = 0; y < h; y++) {
        let src = ((y + top) * info.width + left) * channels + c;
        const row = base + y * w;
        for (let x = 0; x < w; x++, src += channels) out[row + x] = data[src]! * scale - shift;
      }
    }
    return new ort.Tensor('float32', out, [1, 3, h, w]);
  }

  /** `toTensor` replaces the peer's own sharp preprocessing (bench:server's same-preprocessing peer passes tachyon's). */
  async classify(
    bytes: Uint8Array,
    k = 5,
    toTensor: (bytes: Uint8Array) => Promise<ort.Tensor> = (b) => this.toTensor(b),
  ): Promise<PeerTop[]> {
    const input = await toTensor(bytes);
    const result = await this.session.run({ [this.options.input]: input });
    const scores = result[this.options.output]!.data as Float32Array;
    return topKOf(this.options.outputKind === 'logits' ? softmax(scores) : scores, k, this.options.labels);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

export function topKOf(scores: Float32Array, k: number, labels: readonly string[]): PeerTop[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (best.length < k || scores[i]! > scores[best[best.length - 1]!]!) {
      let j = Math.min(best.length, k - 1);
      best[j] = i;
      while (j > 0 && scores[best[j - 1]!]! < scores[i]!) {
        best[j] = best[j - 1]!;
        best[--j] = i;
      }
    }
  }
  return best.map((index) => ({ index, label: labels[index] ?? String(index), score: scores[index]! }));
}
