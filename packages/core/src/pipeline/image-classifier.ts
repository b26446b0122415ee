import { TachyonError } from '@tachyon/protocol';
import type { InferenceSession } from '../backends/backend.js';
import { OnnxRuntimeBackend } from '../backends/onnxruntime-backend.js';
import type { SessionOptions } from '../backends/session-options.js';
import { preprocessImage, presetByName, type PreprocessConfig } from '../image/index.js';
import { imagenetClassNames } from '../labels/imagenet-labels.js';
import { topK, type OutputKind, type TopKEntry } from '../labels/top-k.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';

export interface ImageClassifierOptions {
  /** Path of the .onnx model. */
  modelPath: string;
  /** Catalog entry of the model, which supplies io names, preset and output kind. */
  entry?: ZooEntry;
  /** Preset name or compiled config. @default the entry's preset, else 'torchvision224' */
  preprocess?: string | PreprocessConfig;
  /** Class names in output order. @default the 1000 ImageNet classes */
  labels?: readonly string[];
  /** 'auto' treats a row of non-negative values summing to 1 as probabilities. @default the entry's, else 'auto' */
  outputKind?: OutputKind | 'auto';
  /** Backend to load the model into. @default a new OnnxRuntimeBackend owned (and closed) by the classifier */
  backend?: OnnxRuntimeBackend;
  session?: SessionOptions;
}

/** The smallest pipeline: image bytes -> preprocess -> model -> top-k labels. */
export class ImageClassifier {
  private constructor(
    private readonly session: InferenceSession,
    private readonly ownedBackend: OnnxRuntimeBackend | undefined,
    readonly preprocess: PreprocessConfig,
    readonly labels: readonly string[],
    readonly outputKind: OutputKind | 'auto',
    readonly inputName: string,
    readonly outputName: string,
  ) {}

  static async create(options: ImageClassifierOptions): Promise<ImageClassifier> {
    const { entry } = options;
    const preprocess = toPreprocessConfig(options.preprocess ?? entry?.preset ?? 'torchvision224');
    const ownedBackend = options.backend ? undefined : new OnnxRuntimeBackend();
    const backend = options.backend ?? ownedBackend!;
    try {
      const session = await backend.createSession(options.modelPath, options.session);
      const inputName = entry?.input ?? onlyName(session.inputs, 'input');
      const outputName = entry?.output ?? onlyName(session.outputs, 'output');
      const labels = options.labels ?? imagenetClassNames();
      return new ImageClassifier(session, ownedBackend, preprocess, labels, options.outputKind ?? entry?.outputKind ?? 'auto', inputName, outputName);
    } catch (error) {
      await ownedBackend?.close();
      throw error;
    }
  }

  /** The top `k` classes of one encoded image (JPEG, PNG or WebP), best first, scores as probabilities. */
  async classify(image: Uint8Array, k = 5): Promise<TopKEntry[]> {
    const { data, dims } = await preprocessImage(image, this.preprocess);
    const outputs = await this.session.run({ [this.inputName]: { dtype: 'float32', dims, data } }, { transfer: true });
    const scores = outputs[this.outputName];
    if (!scores) throw new TachyonError('TCH_ERR_SESSION_RUN_FAILED', `The model produced no output "${this.outputName}".`);
    const row = scores.data as Float32Array;
    return topK(row, k, this.labels, this.outputKind === 'auto' ? detectOutputKind(row) : this.outputKind);
  }

  async close(): Promise<void> {
    await this.session.close();
    await this.ownedBackend?.close();
  }
}

/** Probabilities when every value is in [0, 1] and they sum to 1 (within float error); logits otherwise. */
export function detectOutputKind(row: ArrayLike<number>): OutputKind {
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (v < 0 || v > 1) return 'logits';
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3 ? 'probabilities' : 'logits';
}

function toPreprocessConfig(preprocess: string | PreprocessConfig): PreprocessConfig {
  return typeof preprocess === 'string' ? presetByName(preprocess) : preprocess;
}

function onlyName(specs: readonly { name: string }[], what: string): string {
  if (specs.length !== 1) {
    throw new TachyonError('TCH_ERR_MODEL_LOAD_FAILED', `The model has ${specs.length} ${what}s; name the one to use.`, {
      details: { [`${what}s`]: specs.map((s) => s.name) },
    });
  }
  return specs[0]!.name;
}
