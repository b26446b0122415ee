import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { io } from '@tensorflow/tfjs';
import type { TfjsModule } from './tfjs-runtime.js';

/** File names written by `buildFsSaveHandler`: stable, so a saved model can be diffed, hashed and zipped. */
export const KERAS_MODEL_FILE = 'model.json';
export const KERAS_WEIGHTS_FILE = 'group1-shard1of1.bin';

/**
 * A tf.io load handler for a TensorFlow.js layers model on disk: `dir/model.json` plus the weight shards its
 * weightsManifest lists (paths relative to `dir`; absolute paths and '..' are refused). Errors are plain Errors
 * whose message is the reason; `createKerasModel` turns them into TCH_ERR_KERAS_LOAD_FAILED.
 */
export function buildFsLoadHandler(tf: TfjsModule, dir: string): io.IOHandler {
  return {
    async load(): Promise<io.ModelArtifacts> {
      const modelJson = await readModelJson(dir);
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: io.WeightsManifestEntry[] = [];
        const shards: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) shards.push(await readShard(dir, path));
        }
        const data = concat(shards);
        const needed = expectedWeightBytes(specs);
        if (needed !== undefined && needed !== data.byteLength) {
          throw new Error(
            `the weight shards hold ${data.byteLength} bytes but the weights listed in ${KERAS_MODEL_FILE} need ${needed}`,
          );
        }
        return [specs, data];
      });
    },
  };
}

/**
 * A tf.io save handler writing `dir/model.json` and one shard `dir/group1-shard1of1.bin` (the layout
 * `tensorflowjs_converter` and `model.save('file://...')` produce). Each file is written beside its final name and
 * renamed into place, shard first, so a reader never sees a model.json without its weights.
 */
export function buildFsSaveHandler(tf: TfjsModule, dir: string): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new TypeError('model: only layers models (JSON topology) can be saved as a Keras model folder.');
      }
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [KERAS_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      await mkdir(dir, { recursive: true });
      await writeReplacing(join(dir, KERAS_WEIGHTS_FILE), weights);
      await writeReplacing(join(dir, KERAS_MODEL_FILE), `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: weights.buffer }) };
    },
  };
}

async function readModelJson(dir: string): Promise<io.ModelJSON> {
  let text: string;
  try {
    text = await readFile(join(dir, KERAS_MODEL_FILE), 'utf8');
  } catch (error) {
    throw new Error(`${KERAS_MODEL_FILE} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${KERAS_MODEL_FILE} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${KERAS_MODEL_FILE} is not a JSON object`);
  const model = json as Partial<io.ModelJSON>;
  if (typeof model.modelTopology !== 'object' || model.modelTopology === null) {
    throw new Error(`${KERAS_MODEL_FILE} has no modelTopology (it is not a TensorFlow.js layers model)`);
  }
  if (model.format !== undefined && model.format !== 'layers-model') {
    throw new Error(`${KERAS_MODEL_FILE} has format "${String(model.format)}", not "layers-model"`);
  }
  const manifest = model.weightsManifest ?? [];
  const wellFormed =
    Array.isArray(manifest) &&
    manifest.every(
      (g) => Array.isArray(g?.paths) && g.paths.every((p) => typeof p === 'string') && Array.isArray(g.weights),
    );
  if (!wellFormed) throw new Error(`${KERAS_MODEL_FILE} has a malformed weightsManifest`);
  return { ...model, modelTopology: model.modelTopology, weightsManifest: manifest };
}

async function readShard(dir: string, path: string): Promise<Uint8Array> {
  const relative = normalize(path);
  if (path === '' || isAbsolute(path) || relative === '..' || relative.startsWith(`..${sep}`)) {
    throw new Error(`weight shard path "${path}" is not a relative path inside the model folder`);
  }
  try {
    return await readFile(join(dir, relative));
  } catch (error) {
    throw new Error(`weight shard "${path}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  float16: 2,
};

/** Bytes the specs take, or undefined when that depends on the data (strings) or the spec is unusual. */
function expectedWeightBytes(specs: readonly io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const width = BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype];
    if (width === undefined || !Array.isArray(spec.shape)) return undefined;
    total += spec.shape.reduce((n, d) => n * d, 1) * width;
  }
  return total;
}

function concat(parts: readonly Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out.buffer;
}

async function writeReplacing(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
