import { join } from 'node:path';
import { TachyonError } from '@tachyon/protocol';
import {
  OnnxRuntimeBackend,
  ServiceDefinition,
  ServicePipeline,
  createModelService,
  resolveModelRef,
  type ModelSources,
  type OutputKind,
} from '@tachyon/core';

/** What a served model is made from: a zoo id or .onnx file (image -> model -> classifier), or a service definition zip. */
export type ModelSource =
  | { kind: 'model'; ref: string; preset?: string; outputKind?: OutputKind }
  | { kind: 'service-definition'; path: string };

/** Classifies from a path: `.zip` -> service definition, anything else -> zoo id or .onnx file. */
export function toModelSource(ref: string): ModelSource {
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
export const IMAGE_INPUT = 'images';
export const SCORES_OUTPUT = 'scores';

/** One loaded version of a model: its pipeline, labels and metadata. */
export class ServedModel {
  private constructor(
    readonly name: string,
    readonly version: string,
    readonly pipeline: ServicePipeline,
  ) {}

  static async create(
    name: string,
    version: string,
    source: ModelSource,
    context: { sources: ModelSources; backend: OnnxRuntimeBackend; workDir: string },
  ): Promise<ServedModel> {
    let manifest;
    let dir;
    if (source.kind === 'service-definition') {
      ({ manifest, dir } = await ServiceDefinition.load(source.path, { cacheDir: context.sources.cacheDir }));
    } else {
      const model = await resolveModelRef(source.ref, context.sources);
      ({ manifest, dir } = await createModelService(
        { modelPath: model.path, entry: model.entry, preset: source.preset, outputKind: source.outputKind },
        join(context.workDir, `${name}.${version}`),
      ));
    }
    return new ServedModel(name, version, await ServicePipeline.create(manifest, dir, { backend: context.backend }));
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

  close(): Promise<void> {
    return this.pipeline.close();
  }
}
