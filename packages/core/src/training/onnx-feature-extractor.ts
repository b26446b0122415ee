import { createHash } from 'node:crypto';
import { TachyonError } from '@tachyon-serve/protocol';
import type { InferenceSession } from '../backends/backend.js';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/backend-registry.js';
import {
  preprocessImage,
  presetByName,
  tensorDimsPerImage,
  tensorElementsPerImage,
  type PreprocessConfig,
} from '../image/index.js';
import { sha256File } from '../zoo/sha256-file.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';
import type { FeatureExtractor } from './feature-extractor.js';

export interface OnnxFeatureExtractorOptions {
  /** Path of the .onnx backbone (a full classifier or a model cut at its feature tensor). */
  modelPath: string;
  /** Catalog entry of the model: supplies the input name, the preset and the feature tensor. */
  entry?: ZooEntry;
  /** Input tensor. @default the entry's input, else the model's only input */
  input?: string;
  /**
   * Output tensor used as the feature vector (rank >= 2, flattened per image). @default the entry's featureTensor
   * when the model outputs it, else the entry's output, else the model's only output
   */
  output?: string;
  /** Preset name or compiled config. @default the entry's preset, else 'torchvision224' */
  preprocess?: string | PreprocessConfig;
  /** Images per session run. @default 8 */
  batchSize?: number;
  /** Backend to load the model into. @default a new backend from createBackend() owned (and closed) by the extractor */
  backend?: Backend;
}

/** A FeatureExtractor over an ONNX model, with the id that keys its feature cache. */
export interface OnnxFeatureExtractor {
  /** Changes whenever the features would: model bytes (sha256), output tensor or preprocessing. */
  readonly id: string;
  readonly extract: FeatureExtractor;
  readonly input: string;
  readonly output: string;
  close(): Promise<void>;
}

/**
 * Loads an ONNX backbone and returns a FeatureExtractor: each image is preprocessed (errors are TCH_ERR_IMAGE_*),
 * images are batched, and the chosen output is split into one vector per image.
 */
export async function createOnnxFeatureExtractor(options: OnnxFeatureExtractorOptions): Promise<OnnxFeatureExtractor> {
  if (typeof options?.modelPath !== 'string' || options.modelPath === '')
    throw new TypeError('options.modelPath must be a file path.');
  const batchSize = options.batchSize ?? 8;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new RangeError(`options.batchSize must be an integer >= 1, not ${batchSize}.`);
  const { entry } = options;
  const pre = options.preprocess ?? entry?.preset ?? 'torchvision224';
  const preprocess = typeof pre === 'string' ? presetByName(pre) : pre;
  const ownedBackend = options.backend ? undefined : createBackend();
  const backend = options.backend ?? ownedBackend!;
  let session: InferenceSession | undefined;
  try {
    session = await backend.createSession(options.modelPath);
    const input = options.input ?? entry?.input ?? onlyName(session.inputs, 'input');
    const output = options.output ?? defaultOutput(session, entry);
    for (const [name, specs, what] of [
      [input, session.inputs, 'input'],
      [output, session.outputs, 'output'],
    ] as const) {
      if (!specs.some((s) => s.name === name)) {
        throw new TachyonError('TCH_ERR_MODEL_LOAD_FAILED', `The model has no ${what} named "${name}".`, {
          details: { [what]: name, known: specs.map((s) => s.name) },
        });
      }
    }
    // The file's own hash, not the entry's: the file may be a cut or edited copy of the catalog model.
    const modelSha256 = await sha256File(options.modelPath);
    const id = `onnx:${modelSha256}:${output}:${createHash('sha256').update(JSON.stringify(preprocess)).digest('hex').slice(0, 16)}`;
    const open = session;
    const extract: FeatureExtractor = async (images) => {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < images.length; start += batchSize) {
        vectors.push(...(await runBatch(open, images.slice(start, start + batchSize), preprocess, input, output)));
      }
      return vectors;
    };
    return {
      id,
      extract,
      input,
      output,
      async close() {
        await open.close();
        await ownedBackend?.close();
      },
    };
  } catch (error) {
    await session?.close();
    await ownedBackend?.close();
    throw error;
  }
}

async function runBatch(
  session: InferenceSession,
  images: readonly Uint8Array[],
  preprocess: PreprocessConfig,
  input: string,
  output: string,
): Promise<Float32Array[]> {
  const per = tensorElementsPerImage(preprocess);
  const data = new Float32Array(images.length * per);
  await Promise.all(images.map((bytes, i) => preprocessImage(bytes, preprocess, { data, offset: i * per })));
  const dims = [images.length, ...tensorDimsPerImage(preprocess).slice(1)];
  const result = (await session.run({ [input]: { dtype: 'float32', dims, data } }, { transfer: true }))[output];
  if (!result || !(result.data instanceof Float32Array) || result.dims[0] !== images.length) {
    throw new TachyonError(
      'TCH_ERR_SESSION_RUN_FAILED',
      `The model produced no float32 output "${output}" with one row per image.`,
      {
        details: { output },
      },
    );
  }
  const width = result.data.length / images.length;
  return images.map((_, i) => result.data.slice(i * width, (i + 1) * width) as Float32Array);
}

function defaultOutput(session: InferenceSession, entry: ZooEntry | undefined): string {
  if (entry?.featureTensor !== undefined && session.outputs.some((o) => o.name === entry.featureTensor))
    return entry.featureTensor;
  return entry?.output ?? onlyName(session.outputs, 'output');
}

function onlyName(specs: readonly { name: string }[], what: string): string {
  if (specs.length !== 1) {
    throw new TachyonError(
      'TCH_ERR_MODEL_LOAD_FAILED',
      `The model has ${specs.length} ${what}s; name the one to use.`,
      {
        details: { [`${what}s`]: specs.map((s) => s.name) },
      },
    );
  }
  return specs[0]!.name;
}
