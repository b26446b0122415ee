import { join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import type { Backend } from '../backends/backend.js';
import { declaredModelIo, readOnnxModel } from '../graph/index.js';
import { softmax, topK, type OutputKind, type TopKEntry } from '../labels/top-k.js';
import { createModelService } from '../pipeline/model-service.js';
import { ServicePipeline, type PipelineTimings } from '../pipeline/service-pipeline.js';
import { ModelScheduler } from '../scheduler/model-scheduler.js';
import { compileSchedulerOptions, type Priority, type SchedulerConfig } from '../scheduler/scheduler-options.js';
import type { SchedulerHooks } from '../scheduler/scheduler-types.js';
import { ServiceDefinition } from '../service-def/service-definition.js';
import type { TensorData, TensorMap } from '../tensor/tensor.js';
import type { ModelSources } from '../zoo/model-sources.js';
import { resolveModelRef } from '../zoo/resolve-model-ref.js';
import { ImageRunner, IMAGE_INPUT, SCORES_OUTPUT } from './image-runner.js';
import type { InferRequest, InferResponse, InferTensor, ModelMetadata, RequestedOutput } from './infer-types.js';
import { isImageInput } from './model-defaults.js';
import type { Prepared, RequestRunner } from './request-runner.js';
import { TensorRunner } from './tensor-runner.js';
import { classificationTensor, fromTensorData } from './wire-tensor.js';

export { IMAGE_INPUT, SCORES_OUTPUT };

/**
 * What a served model is made from: a zoo id or .onnx file (an image classifier when its one input is FP32
 * [N, 3, H, W], else a tensor model), a service definition zip, or a model of the workspace registry (ModelHost
 * resolves it into one of the others, one per registered version).
 */
export type ModelSource =
  | {
      kind: 'model';
      ref: string;
      preset?: string | undefined;
      outputKind?: OutputKind | undefined;
      labels?: readonly string[] | undefined;
    }
  | { kind: 'service-definition'; path: string }
  | { kind: 'registry'; name: string };

export const REGISTRY_PREFIX = 'registry:';

/** Classifies a string: `registry:NAME` -> registry model, `.zip` -> service definition, else zoo id or .onnx file. */
export function toModelSource(ref: string): ModelSource {
  if (ref.startsWith(REGISTRY_PREFIX)) return { kind: 'registry', name: ref.slice(REGISTRY_PREFIX.length) };
  return ref.endsWith('.zip') ? { kind: 'service-definition', path: ref } : { kind: 'model', ref };
}

/** What loading a model needs besides its source. */
export interface ServedModelContext {
  sources: ModelSources;
  backend: Backend;
  /** Where a plain model's generated service files go. */
  workDir: string;
  /** @default compileSchedulerOptions({ concurrency: backend workers }) */
  scheduler?: SchedulerConfig | undefined;
  /** Batch events, for metrics. */
  hooks?: SchedulerHooks | undefined;
  /** Fuse adjacent ONNX stages into one graph. @default true */
  fuse?: boolean | undefined;
  /** Released after the model closes (resources owned for a local model: its backend, its work folder). */
  release?: (() => Promise<void>) | undefined;
}

/** Where and when a request came from, beyond its message. */
export interface InferContext {
  /** performance.now() when the request arrived. @default now */
  receivedAt?: number | undefined;
  /** Absolute deadline (performance.now() ms): past it the caller gets TCH_ERR_DEADLINE_EXCEEDED, never a late answer. */
  deadline?: number | undefined;
}

export interface InferLimits {
  /** Images (or tensor rows) one request may carry. @default 64 */
  maxImagesPerRequest: number;
}

export const DEFAULT_INFER_LIMITS: InferLimits = Object.freeze({ maxImagesPerRequest: 64 });

export interface ClassifyOptions {
  /** @default the classifier's top-k (5) */
  topK?: number | undefined;
  priority?: Priority | undefined;
  deadline?: number | undefined;
}

interface BatchResult {
  outputs: TensorMap;
  computeMs: number;
}

/**
 * THE engine: one loaded version of a model — its runner (image pipeline or tensor graph), its request scheduler
 * (queue bound, priorities, deadlines, dynamic batching) and its output rules (softmax once, top-k records).
 * HTTP, gRPC, the CLI, the SDK and the benches all call `infer()` or `classify()` here.
 */
export class ServedModel {
  readonly scheduler: ModelScheduler<Prepared, BatchResult>;
  /** The outputs a request may name: fixed once the runner is built, so not rebuilt per request. */
  readonly #outputNames: readonly string[];

  private constructor(
    readonly name: string,
    readonly version: string,
    readonly runner: RequestRunner,
    scheduler: SchedulerConfig,
    hooks: SchedulerHooks | undefined,
    private readonly release: (() => Promise<void>) | undefined,
  ) {
    this.#outputNames = Object.freeze(runner.metadata().outputs.map((o) => o.name));
    this.scheduler = new ModelScheduler(
      name,
      async (batch) => {
        const timings: PipelineTimings = { preprocessMs: 0, computeMs: 0, postprocessMs: 0 };
        const parts = await runner.execute(batch, timings);
        return parts.map((outputs) => ({ outputs, computeMs: timings.computeMs }));
      },
      scheduler,
      hooks,
    );
  }

  static async create(
    name: string,
    version: string,
    source: ModelSource,
    context: ServedModelContext,
  ): Promise<ServedModel> {
    const runner = await createRunner(name, version, source, context);
    const scheduler = context.scheduler ?? compileSchedulerOptions({ concurrency: context.backend.config.workers });
    return new ServedModel(name, version, runner, scheduler, context.hooks, context.release);
  }

  get kind(): RequestRunner['kind'] {
    return this.runner.kind;
  }

  /** The image pipeline (image classifiers only). */
  get pipeline(): ServicePipeline | undefined {
    return this.runner instanceof ImageRunner ? this.runner.pipeline : undefined;
  }

  /** Class names (image classifiers; empty for a tensor model). */
  get labels(): readonly string[] {
    return this.runner instanceof ImageRunner ? this.runner.labels : [];
  }

  metadata(): ModelMetadata {
    const { inputs, outputs } = this.runner.metadata();
    return {
      name: this.name,
      versions: [this.version],
      platform: this.kind === 'tensor' ? 'onnxruntime_onnx' : 'tachyon_pipeline',
      inputs,
      outputs,
    };
  }

  /** One request, decoded from any protocol, through the scheduler; outputs as the request asks (or the defaults). */
  async infer(
    request: InferRequest,
    limits: InferLimits = DEFAULT_INFER_LIMITS,
    context: InferContext = {},
  ): Promise<InferResponse> {
    const receivedAt = context.receivedAt ?? performance.now();
    const started = performance.now();
    const requested: RequestedOutput[] =
      request.outputs ?? this.runner.defaultOutputs(request.inputs).map((name) => ({ name }));
    const known = this.#outputNames;
    for (const output of requested) {
      if (!known.includes(output.name)) {
        throw new TachyonError('TCH_ERR_INFER_INVALID', `Model "${this.name}" has no output "${output.name}".`, {
          details: { output: output.name, outputs: known },
        });
      }
      if (output.classification !== undefined) this.#checkClassification(output.classification);
    }
    const { rows, prepare } = this.runner.accept(request.inputs, limits.maxImagesPerRequest);
    const timings: PipelineTimings = { preprocessMs: 0, computeMs: 0, postprocessMs: 0 };
    const { result, queueMs, batchRows } = await this.scheduler.submit({
      rows,
      priority: request.priority,
      deadline: context.deadline,
      prepare: () => prepare(timings),
    });
    const post = performance.now();
    const outputs = requested.map((output) => this.#output(output.name, output.classification, result.outputs, rows));
    const done = performance.now();
    if (context.deadline !== undefined && done > context.deadline) {
      throw new TachyonError(
        'TCH_ERR_DEADLINE_EXCEEDED',
        `The request to model "${this.name}" passed its deadline while its answer was being built.`,
        {
          details: { model: this.name },
        },
      );
    }
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      modelName: this.name,
      modelVersion: this.version,
      outputs,
      timings: {
        // Waiting, not working: before the model's queue (body parsing) plus the queue minus preprocessing.
        queueMs: started - receivedAt + Math.max(0, queueMs - timings.preprocessMs),
        preprocessMs: timings.preprocessMs,
        computeMs: result.computeMs,
        postprocessMs: done - post,
        totalMs: done - receivedAt,
      },
      batchRows,
    };
  }

  /** The top-k classes of each image, best first, as probabilities: the same path and numbers as the server's. */
  async classify(images: readonly Uint8Array[], options: ClassifyOptions = {}): Promise<TopKEntry[][]> {
    const k = options.topK ?? this.pipeline?.classifier.topK ?? 5;
    const response = await this.infer(
      {
        modelName: this.name,
        inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [images.length], data: [...images] }],
        outputs: [{ name: SCORES_OUTPUT, classification: k }],
        priority: options.priority,
      },
      { maxImagesPerRequest: Math.max(images.length, 1) },
      { deadline: options.deadline },
    );
    return response.outputs[0]!.top!;
  }

  /** classify() for one image: its top-k, best first. */
  async classifyImage(image: Uint8Array, topK?: number): Promise<TopKEntry[]> {
    return (await this.classify([image], { topK }))[0]!;
  }

  /** Class probabilities [N, C] of each image (softmax applied once when the model gives logits). */
  async probabilities(images: readonly Uint8Array[]): Promise<Float32Array> {
    const response = await this.infer(
      {
        modelName: this.name,
        inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [images.length], data: [...images] }],
        outputs: [{ name: SCORES_OUTPUT }],
      },
      { maxImagesPerRequest: Math.max(images.length, 1) },
    );
    return response.outputs[0]!.data as Float32Array;
  }

  checkVersion(version: string | undefined): void {
    if (version !== undefined && version !== '' && version !== this.version) {
      throw new TachyonError('TCH_ERR_MODEL_NOT_FOUND', `Model "${this.name}" has no version "${version}".`, {
        details: { model: this.name, version, versions: [this.version] },
      });
    }
  }

  /** Refuses new requests, lets the admitted ones finish, then releases the sessions. */
  async close(): Promise<void> {
    await this.scheduler.drain();
    try {
      await this.runner.close();
    } finally {
      await this.release?.();
    }
  }

  #checkClassification(k: number): void {
    if (!Number.isInteger(k) || k < 1)
      throw new TachyonError('TCH_ERR_INFER_INVALID', `classification must be an integer >= 1, got ${k}.`);
    if (this.kind === 'tensor') {
      throw new TachyonError(
        'TCH_ERR_INFER_INVALID',
        `Model "${this.name}" is a tensor model without class labels; the classification extension needs an image classifier.`,
        {
          details: { model: this.name },
        },
      );
    }
  }

  #output(name: string, classification: number | undefined, raw: TensorMap, rows: number): InferTensor {
    if (this.kind === 'tensor') return fromTensorData(name, raw[name]!);
    const runner = this.runner as ImageRunner;
    const scores = raw[runner.rawOutput]!;
    const { labels, outputKind } = runner.pipeline.classifier;
    const classes = labels.length;
    const row = (i: number) => (scores.data as Float32Array).subarray(i * classes, (i + 1) * classes);
    if (classification !== undefined) {
      const k = Math.min(classification, classes);
      const top = Array.from({ length: rows }, (_, i) => topK(row(i), k, labels, outputKind));
      return classificationTensor(name, top, k);
    }
    if (name !== SCORES_OUTPUT) return fromTensorData(name, scores);
    return { name, datatype: 'FP32', shape: [rows, classes], data: probabilities(scores, rows, classes, outputKind) };
  }
}

function probabilities(scores: TensorData, rows: number, classes: number, kind: OutputKind): Float32Array {
  const data = scores.data as Float32Array;
  if (kind === 'probabilities') return data.subarray(0, rows * classes);
  const out = new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) out.set(softmax(data.subarray(i * classes, (i + 1) * classes)), i * classes);
  return out;
}

async function createRunner(
  name: string,
  version: string,
  source: ModelSource,
  context: ServedModelContext,
): Promise<RequestRunner> {
  if (source.kind === 'registry') throw new TypeError('source: a registry source is loaded through ModelHost.load().');
  if (source.kind === 'service-definition') {
    const { manifest, dir } = await ServiceDefinition.load(source.path, { cacheDir: context.sources.cacheDir });
    return new ImageRunner(
      await ServicePipeline.create(manifest, dir, { backend: context.backend, fuse: context.fuse }),
      manifest,
    );
  }
  const model = await resolveModelRef(source.ref, context.sources);
  const graph = await readOnnxModel(model.path);
  const { inputs } = declaredModelIo(graph);
  if (model.entry || (inputs.length === 1 && isImageInput(inputs[0]))) {
    const { manifest, dir } = await createModelService(
      {
        modelPath: model.path,
        entry: model.entry,
        preset: source.preset,
        outputKind: source.outputKind,
        labels: source.labels,
        graph,
      },
      join(context.workDir, `${name}.${version}`),
    );
    return new ImageRunner(
      await ServicePipeline.create(manifest, dir, { backend: context.backend, fuse: context.fuse }),
      manifest,
    );
  }
  if (source.preset !== undefined || source.outputKind !== undefined || source.labels !== undefined) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Model "${name}" is not an image classifier (its one input is not FP32 [N, 3, H, W]); preset, output kind and labels do not apply.`,
      {
        details: {
          model: name,
          inputs: inputs.map((i) => (i ? { name: i.name, dtype: i.dtype, dims: i.dims } : null)),
        },
      },
    );
  }
  return new TensorRunner(await context.backend.createSession(model.path));
}
