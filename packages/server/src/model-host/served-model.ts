import { join } from 'node:path';
import { IMAGE_INPUT, SCORES_OUTPUT, TachyonError } from '@tachyon/protocol';
import {
  ModelScheduler,
  compileSchedulerOptions,
  OnnxRuntimeBackend,
  ServiceDefinition,
  ServicePipeline,
  createModelService,
  resolveModelRef,
  type ModelSources,
  type OutputKind,
  type PipelineTimings,
  type PreparedImages,
  type Priority,
  type SchedulerConfig,
  type SchedulerHooks,
  type TensorData,
} from '@tachyon/core';

/**
 * What a served model is made from: a zoo id or .onnx file (image -> model -> classifier), a service definition zip,
 * or a model of the workspace registry (ModelHost resolves it into one of the others, one per registered version).
 */
export type ModelSource =
  | { kind: 'model'; ref: string; preset?: string; outputKind?: OutputKind }
  | { kind: 'service-definition'; path: string }
  | { kind: 'registry'; name: string };

export const REGISTRY_PREFIX = 'registry:';

/** Classifies a string: `registry:NAME` -> registry model, `.zip` -> service definition, else zoo id or .onnx file. */
export function toModelSource(ref: string): ModelSource {
  if (ref.startsWith(REGISTRY_PREFIX)) return { kind: 'registry', name: ref.slice(REGISTRY_PREFIX.length) };
  return ref.endsWith('.zip') ? { kind: 'service-definition', path: ref } : { kind: 'model', ref };
}

/** KServe v2 model metadata. */
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}

/** Every served image model takes `images` (BYTES, one encoded JPEG/PNG/WebP per element) and returns `scores`. */
export { IMAGE_INPUT, SCORES_OUTPUT };

/** What loading a model needs besides its source. */
export interface ServedModelContext {
  sources: ModelSources;
  backend: OnnxRuntimeBackend;
  workDir: string;
  /** @default compileSchedulerOptions({ concurrency: backend workers }) */
  scheduler?: SchedulerConfig;
  /** Batch events, for metrics. */
  hooks?: SchedulerHooks;
}

/** How one request wants to be scheduled. */
export interface ScoreOptions {
  /** @default 'normal' */
  priority?: Priority | undefined;
  /** Absolute, in performance.now() milliseconds. */
  deadline?: number | undefined;
  /** Filled in: preprocess and compute milliseconds. */
  timings?: PipelineTimings;
}

/** One request's class scores and where its time went in the queue. */
export interface ScoreResult {
  /** [rows, classes] (logits or probabilities, as the classifier says). */
  scores: TensorData;
  /** From submit to the start of its batch, preprocessing included. */
  queueMs: number;
  /** Rows in the batch it ran in. */
  batchRows: number;
}

/**
 * One loaded version of a model: its pipeline, labels, metadata and request scheduler. Every request goes through
 * the scheduler: preprocessed as soon as it is admitted, then batched with the requests already waiting.
 */
export class ServedModel {
  readonly scheduler: ModelScheduler<PreparedImages, { scores: TensorData; computeMs: number }>;

  private constructor(
    readonly name: string,
    readonly version: string,
    readonly pipeline: ServicePipeline,
    scheduler: SchedulerConfig,
    hooks: SchedulerHooks | undefined,
  ) {
    this.scheduler = new ModelScheduler(
      name,
      async (batch) => {
        const timings: PipelineTimings = { preprocessMs: 0, computeMs: 0, postprocessMs: 0 };
        const parts = await pipeline.scoreBatch(batch, timings);
        return parts.map((scores) => ({ scores, computeMs: timings.computeMs }));
      },
      scheduler,
      hooks,
    );
  }

  static async create(name: string, version: string, source: ModelSource, context: ServedModelContext): Promise<ServedModel> {
    let manifest;
    let dir;
    if (source.kind === 'registry') throw new TypeError('source: a registry source is loaded through ModelHost.load().');
    if (source.kind === 'service-definition') {
      ({ manifest, dir } = await ServiceDefinition.load(source.path, { cacheDir: context.sources.cacheDir }));
    } else {
      const model = await resolveModelRef(source.ref, context.sources);
      ({ manifest, dir } = await createModelService(
        { modelPath: model.path, entry: model.entry, preset: source.preset, outputKind: source.outputKind },
        join(context.workDir, `${name}.${version}`),
      ));
    }
    const pipeline = await ServicePipeline.create(manifest, dir, { backend: context.backend });
    const scheduler = context.scheduler ?? compileSchedulerOptions({ concurrency: context.backend.config.workers });
    return new ServedModel(name, version, pipeline, scheduler, context.hooks);
  }

  /** Class scores for one request's images, through the scheduler (queue bound, priority, deadline, batching). */
  async scores(images: readonly Uint8Array[], options: ScoreOptions = {}): Promise<ScoreResult> {
    const { result, queueMs, batchRows } = await this.scheduler.submit({
      rows: images.length,
      priority: options.priority,
      deadline: options.deadline,
      prepare: () => this.pipeline.prepare(images, options.timings),
    });
    if (options.timings) options.timings.computeMs += result.computeMs;
    return { scores: result.scores, queueMs, batchRows };
  }

  get labels(): readonly string[] {
    return this.pipeline.classifier.labels;
  }

  metadata(): ModelMetadata {
    return {
      name: this.name,
      versions: [this.version],
      platform: 'tachyon_pipeline',
      inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: SCORES_OUTPUT, datatype: 'FP32', shape: [-1, this.labels.length] }],
    };
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
    await this.pipeline.close();
  }
}
