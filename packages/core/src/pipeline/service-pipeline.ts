import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import type { InferenceSession } from '../backends/backend.js';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/backend-registry.js';
import { encodeOnnxModel, fuseModels, readOnnxModel } from '../graph/index.js';
import { compilePreprocess, type PreprocessConfig } from '../image/preprocess-options.js';
import { preprocessImage, tensorDimsPerImage, tensorElementsPerImage } from '../image/preprocess.js';
import { parseLabels } from '../labels/imagenet-labels.js';
import { topK, type TopKEntry } from '../labels/top-k.js';
import type {
  ClassifierStageManifest,
  KerasStageManifest,
  ServiceManifest,
  StageManifest,
} from '../service-def/manifest.js';
import type { TensorData, TensorMap } from '../tensor/tensor.js';
import { concatRows, sliceRows } from '../tensor/tensor-rows.js';
import { runBatched } from './run-batched.js';

export interface ServicePipelineOptions {
  /** Backend the ONNX stages load into. @default a new backend from createBackend() owned (and closed) by the pipeline */
  backend?: Backend;
  /** Compile adjacent ONNX stages into one graph run by one session call. @default true */
  fuse?: boolean;
}

/** Where the time of one call went, in milliseconds (filled in when passed to run/scores). */
export interface PipelineTimings {
  preprocessMs: number;
  computeMs: number;
  postprocessMs: number;
}

/** One request's images after preprocessing: the tensors the compute units read, and how many rows (images). */
export interface PreparedImages {
  readonly rows: number;
  readonly tensors: TensorMap;
}

/** One unit of execution: a single stage, or several adjacent ONNX stages fused into one graph. */
export interface PipelineUnitInfo {
  kind: 'image' | 'onnx' | 'keras' | 'classifier';
  stages: string[];
}

type Unit =
  | { kind: 'image'; stages: string[]; config: PreprocessConfig; output: string }
  | {
      kind: 'onnx';
      stages: string[];
      session: InferenceSession;
      inputs: Record<string, string>;
      outputs: Record<string, string>;
      /** No later unit reads these inputs, so their buffers move to the worker instead of being copied. */
      transfer?: boolean;
    }
  | {
      kind: 'keras';
      stages: string[];
      run: (input: TensorData) => Promise<TensorData>;
      input: string;
      output: string;
      dispose: () => void;
    }
  | { kind: 'classifier'; stages: string[]; labels: readonly string[]; stage: ClassifierStageManifest };

/** Runs a validated service definition (manifest + the folder its files were extracted to). */
export class ServicePipeline {
  /** Why stages that could have been fused were not (e.g. different opsets). */
  readonly fusionNotes: string[];

  private constructor(
    private readonly units: Unit[],
    private readonly ownedBackend: Backend | undefined,
    fusionNotes: string[],
  ) {
    this.fusionNotes = fusionNotes;
  }

  static async create(
    manifest: ServiceManifest,
    dir: string,
    options: ServicePipelineOptions = {},
  ): Promise<ServicePipeline> {
    const ownedBackend = options.backend ? undefined : createBackend();
    const backend = options.backend ?? ownedBackend!;
    const units: Unit[] = [];
    const notes: string[] = [];
    try {
      const fuse = options.fuse ?? true;
      // A Keras head made of Dense layers becomes an ONNX graph, so it can fuse with the featurizer before it.
      const stages = fuse
        ? await Promise.all(manifest.stages.map((s) => (s.kind === 'keras' ? kerasAsOnnx(s, dir, notes) : s)))
        : manifest.stages;
      for (let i = 0; i < stages.length; ) {
        const stage = stages[i]!;
        if (stage.kind === 'onnx' || stage.kind === 'featurizer') {
          let end = i + 1;
          while (end < stages.length && isOnnxStage(stages[end]!)) end++;
          units.push(...(await createOnnxUnits(stages.slice(i, end), stages.slice(end), dir, backend, fuse, notes)));
          i = end;
          continue;
        }
        units.push(await createUnit(stage, dir));
        i++;
      }
      markTransferableInputs(units);
      return new ServicePipeline(units, ownedBackend, notes);
    } catch (error) {
      for (const unit of units) if (unit.kind === 'keras') unit.dispose();
      await ownedBackend?.close();
      throw error;
    }
  }

  get plan(): PipelineUnitInfo[] {
    return this.units.map((u) => ({ kind: u.kind, stages: [...u.stages] }));
  }

  /** Classifies a batch of encoded images; results in input order. A bad image fails the call (details.index). */
  async run(
    images: readonly Uint8Array[],
    options: { topK?: number; timings?: PipelineTimings } = {},
  ): Promise<TopKEntry[][]> {
    const { scores, classifier } = await this.#forward(images, options.timings);
    const started = performance.now();
    const k = options.topK ?? classifier.stage.topK;
    const perImage = scores.data.length / Math.max(1, images.length);
    const results = images.map((_, i) =>
      topK(
        (scores.data as Float32Array).subarray(i * perImage, (i + 1) * perImage),
        k,
        classifier.labels,
        classifier.stage.outputKind,
      ),
    );
    if (options.timings) options.timings.postprocessMs += performance.now() - started;
    return results;
  }

  /** The classifier stage: labels, output kind and default top-k. */
  get classifier(): { labels: readonly string[]; outputKind: 'logits' | 'probabilities'; topK: number } {
    const unit = this.#classifierUnit;
    return { labels: unit.labels, outputKind: unit.stage.outputKind, topK: unit.stage.topK };
  }

  /** The tensor the classifier stage reads (class scores, before softmax and top-k), for a batch of images. */
  async scores(images: readonly Uint8Array[], timings?: PipelineTimings): Promise<TensorData> {
    return (await this.#forward(images, timings)).scores;
  }

  /**
   * Decodes and preprocesses one request's images into the tensors the compute units read. Runs outside any batch,
   * so a bad image fails only its own request (details.index).
   */
  async prepare(images: readonly Uint8Array[], timings?: PipelineTimings): Promise<PreparedImages> {
    if (images.length === 0) throw new RangeError('images: expected at least one image');
    const started = performance.now();
    const tensors: TensorMap = {};
    for (const unit of this.units)
      if (unit.kind === 'image') tensors[unit.output] = await preprocessBatch(images, unit.config);
    if (timings) timings.preprocessMs += performance.now() - started;
    return { rows: images.length, tensors };
  }

  /**
   * Runs the compute units once over several prepared requests (concatenated along the batch dimension) and returns
   * each request's class scores (its rows of the classifier's input tensor, views on one buffer), in order.
   * The prepared tensors are consumed: they may move to a worker thread.
   */
  async scoreBatch(batch: readonly PreparedImages[], timings?: PipelineTimings): Promise<TensorData[]> {
    if (batch.length === 0) throw new RangeError('batch: expected at least one prepared request');
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    const tensors: TensorMap = {};
    for (const name of Object.keys(batch[0]!.tensors)) tensors[name] = concatRows(batch.map((p) => p.tensors[name]!));
    for (const unit of this.units) {
      const started = performance.now();
      switch (unit.kind) {
        case 'image':
          break;
        case 'onnx': {
          const feeds: TensorMap = {};
          for (const [port, tensor] of Object.entries(unit.inputs)) feeds[port] = tensors[tensor]!;
          const outputs = await runBatched(unit.session, feeds, rows, unit.transfer === true);
          for (const [port, tensor] of Object.entries(unit.outputs)) tensors[tensor] = outputs[port]!;
          if (timings) timings.computeMs += performance.now() - started;
          break;
        }
        case 'keras':
          tensors[unit.output] = await unit.run(tensors[unit.input]!);
          if (timings) timings.computeMs += performance.now() - started;
          break;
        case 'classifier': {
          const scores = tensors[unit.stage.inputs['scores']!]!;
          let offset = 0;
          return batch.map((p) => {
            const part = sliceRows(scores, offset, p.rows);
            offset += p.rows;
            return part;
          });
        }
      }
    }
    throw new TachyonError('TCH_ERR_SVCDEF_INVALID', 'The pipeline has no classifier stage.');
  }

  async #forward(
    images: readonly Uint8Array[],
    timings: PipelineTimings | undefined,
  ): Promise<{ scores: TensorData; classifier: Extract<Unit, { kind: 'classifier' }> }> {
    const [scores] = await this.scoreBatch([await this.prepare(images, timings)], timings);
    return { scores: scores!, classifier: this.#classifierUnit };
  }

  get #classifierUnit(): Extract<Unit, { kind: 'classifier' }> {
    return this.units.find((u): u is Extract<Unit, { kind: 'classifier' }> => u.kind === 'classifier')!;
  }

  async close(): Promise<void> {
    for (const unit of this.units) {
      if (unit.kind === 'onnx') await unit.session.close();
      if (unit.kind === 'keras') unit.dispose();
    }
    await this.ownedBackend?.close();
  }
}

async function kerasAsOnnx(stage: KerasStageManifest, dir: string, notes: string[]): Promise<StageManifest> {
  const { createKerasModel, kerasDenseHeadToOnnx } = await import('../keras/index.js');
  const keras = await createKerasModel(join(dir, stage.file, '..'));
  try {
    const file = `converted.${stage.name}.onnx`;
    // The converted graph names its ports 'input' and 'output', as the Keras stage does.
    await writeFile(join(dir, file), kerasDenseHeadToOnnx(keras.model));
    return { kind: 'onnx', name: stage.name, file, inputs: stage.inputs, outputs: stage.outputs };
  } catch (error) {
    if (!isTachyonError(error, 'TCH_ERR_GRAPH_FUSE_UNSUPPORTED')) throw error;
    notes.push(`Keras stage "${stage.name}" runs on tfjs: ${error.message}`);
    return stage;
  } finally {
    keras.dispose();
  }
}

/** An ONNX unit may hand its input buffers to the worker when no later unit reads the same tensors. */
function markTransferableInputs(units: Unit[]): void {
  units.forEach((unit, i) => {
    if (unit.kind !== 'onnx') return;
    const readLater = new Set(units.slice(i + 1).flatMap(unitInputs));
    unit.transfer = Object.values(unit.inputs).every((tensor) => !readLater.has(tensor));
  });
}

function unitInputs(unit: Unit): string[] {
  switch (unit.kind) {
    case 'onnx':
      return Object.values(unit.inputs);
    case 'keras':
      return [unit.input];
    case 'classifier':
      return Object.values(unit.stage.inputs);
    case 'image':
      return [];
  }
}

function isOnnxStage(stage: StageManifest): boolean {
  return stage.kind === 'onnx' || stage.kind === 'featurizer';
}

async function createUnit(stage: StageManifest, dir: string): Promise<Unit> {
  switch (stage.kind) {
    case 'image':
      return {
        kind: 'image',
        stages: [stage.name],
        config: compilePreprocess(stage.preprocess),
        output: Object.values(stage.outputs)[0]!,
      };
    case 'classifier':
      return {
        kind: 'classifier',
        stages: [stage.name],
        labels: parseLabels(await readFile(join(dir, stage.labels), 'utf8')),
        stage,
      };
    case 'keras': {
      const { createKerasModel } = await import('../keras/index.js');
      const model = await createKerasModel(join(dir, stage.file, '..'));
      return {
        kind: 'keras',
        stages: [stage.name],
        input: Object.values(stage.inputs)[0]!,
        output: Object.values(stage.outputs)[0]!,
        run: (input) => model.run(input),
        dispose: () => model.dispose(),
      };
    }
    default:
      throw new TypeError(`unexpected stage kind ${stage.kind}`);
  }
}

/** One session per stage, or one for the whole run of adjacent ONNX stages when they fuse. */
async function createOnnxUnits(
  group: StageManifest[],
  later: StageManifest[],
  dir: string,
  backend: Backend,
  fuse: boolean,
  notes: string[],
): Promise<Unit[]> {
  const onnxStages = group as Extract<StageManifest, { kind: 'onnx' | 'featurizer' }>[];
  if (fuse && onnxStages.length > 1) {
    try {
      const produced = new Set(onnxStages.flatMap((s) => Object.values(s.outputs)));
      const consumedLater = new Set(later.flatMap((s) => Object.values(s.inputs)));
      const inputs = [...new Set(onnxStages.flatMap((s) => Object.values(s.inputs)).filter((t) => !produced.has(t)))];
      const outputs = [...produced].filter((t) => consumedLater.has(t));
      const parts = await Promise.all(
        onnxStages.map(async (s) => ({
          model: await readOnnxModel(join(dir, s.file)),
          prefix: s.name,
          inputs: s.inputs,
          outputs: s.outputs,
        })),
      );
      const fused = fuseModels(parts, { inputs, outputs, name: onnxStages.map((s) => s.name).join('+') });
      const path = join(dir, `fused.${onnxStages.map((s) => s.name).join('+')}.onnx`);
      await writeFile(path, encodeOnnxModel(fused));
      const session = await backend.createSession(path, { executionProviders: onnxStages[0]!.executionProviders });
      const identity = Object.fromEntries([...inputs, ...outputs].map((t) => [t, t]));
      const pick = (names: string[]) => Object.fromEntries(names.map((t) => [t, identity[t]!]));
      return [
        { kind: 'onnx', stages: onnxStages.map((s) => s.name), session, inputs: pick(inputs), outputs: pick(outputs) },
      ];
    } catch (error) {
      if (!isTachyonError(error, 'TCH_ERR_GRAPH_FUSE_UNSUPPORTED')) throw error;
      notes.push(`stages ${onnxStages.map((s) => `"${s.name}"`).join(', ')} run one by one: ${error.message}`);
    }
  }
  const units: Unit[] = [];
  for (const s of onnxStages) {
    const session = await backend.createSession(join(dir, s.file), { executionProviders: s.executionProviders });
    units.push({ kind: 'onnx', stages: [s.name], session, inputs: s.inputs, outputs: s.outputs });
  }
  return units;
}

async function preprocessBatch(images: readonly Uint8Array[], config: PreprocessConfig): Promise<TensorData> {
  const per = tensorElementsPerImage(config);
  const data = new Float32Array(per * images.length);
  await Promise.all(
    images.map(async (bytes, index) => {
      try {
        await preprocessImage(bytes, config, { data, offset: index * per });
      } catch (error) {
        if (isTachyonError(error) && images.length > 1) {
          throw new TachyonError(error.code, `Image ${index}: ${error.message}`, {
            details: { ...error.details, index },
            cause: error,
          });
        }
        throw error;
      }
    }),
  );
  const dims = tensorDimsPerImage(config);
  dims[0] = images.length;
  return { dtype: 'float32', dims, data };
}
