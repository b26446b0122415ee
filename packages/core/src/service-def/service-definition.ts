import { readFile } from 'node:fs/promises';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/backend-registry.js';
import { declaredModelIo, readOnnxModel, type TensorInfo } from '../graph/index.js';
import { parseLabels } from '../labels/imagenet-labels.js';
import { compileModelSources, type ModelSources, type ModelSourcesOptions } from '../zoo/model-sources.js';
import { createServiceZip, type CreatedServiceZip } from './create-service-zip.js';
import { SERVICE_SCHEMA_VERSION, type ServiceManifest, type StageManifest } from './manifest.js';
import { materializeStages, type SaveProgress } from './materialize-stages.js';
import { extractServiceZipToCache, type ServiceZipCacheOptions } from './service-zip-cache.js';
import type { StageIo } from './stage-io.js';
import type { StageSpec } from './stage-specs.js';
import { validateManifestSemantics } from './validate-manifest-semantics.js';

export const TACHYON_VERSION = '0.1.0';

export interface SaveServiceOptions {
  /** Where zoo backbones are found. @default compileModelSources() (cache, $TACHYON_MODEL_PATH, URL) */
  sources?: ModelSources | ModelSourcesOptions;
  /** Backend used to probe tensor types while cutting graphs. @default a temporary one */
  backend?: Backend;
  /**
   * Called while a featurizer with `quantize` calibrates (after each batch). Model downloads report through
   * `sources.onProgress`. @default undefined
   */
  onProgress?: (progress: SaveProgress) => void;
}

export type { SaveProgress } from './materialize-stages.js';

/** A service definition read from a zip: the validated manifest and the private folder its files were extracted to. */
export interface LoadedServiceDefinition {
  readonly manifest: ServiceManifest;
  readonly dir: string;
  /** sha256 of the zip. */
  readonly sha256: string;
}

/**
 * A pipeline of stages saved as one zip (service.json + models + labels), as Brainwave's model_def.zip.
 *
 * ```ts
 * const def = new ServiceDefinition('resnet50-imagenet');
 * def.pipeline.push(imageStage('torchvision224'), featurizerStage('resnet50', { dtype: 'int8' }), defaultClassifier());
 * await def.save('model_def.zip');
 * const loaded = await ServiceDefinition.load('model_def.zip');
 * ```
 */
export class ServiceDefinition {
  /** Stages in order: the output of each is the input of the next. */
  readonly pipeline: StageSpec[] = [];

  constructor(
    readonly name: string = 'service',
    readonly description?: string,
  ) {
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new TypeError(`name: expected letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
    }
  }

  /** Resolves and cuts the models, validates the whole definition, and writes the zip atomically. */
  async save(path: string, options: SaveServiceOptions = {}): Promise<CreatedServiceZip> {
    const sources = isCompiled(options.sources) ? options.sources : compileModelSources(options.sources);
    const backend = options.backend ?? createBackend();
    try {
      if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
        throw new TypeError('options.onProgress must be a function.');
      const { stages, files } = await materializeStages(this.pipeline, sources, backend, {
        onProgress: options.onProgress,
      });
      const draft = {
        schemaVersion: SERVICE_SCHEMA_VERSION as typeof SERVICE_SCHEMA_VERSION,
        name: this.name,
        ...(this.description === undefined ? {} : { description: this.description }),
        createdWith: `tachyon ${TACHYON_VERSION}`,
        createdAt: new Date().toISOString(),
        stages,
      };
      return await createServiceZip(path, draft, files);
    } finally {
      if (!options.backend) await backend.close();
    }
  }

  /**
   * Unpacks a zip safely into the cache (once per zip sha256), then validates it in two passes: the schema, and the
   * semantics against the real models (ports, dtypes, dims of adjacent stages, labels count vs classes).
   */
  static async load(path: string, options: ServiceZipCacheOptions = {}): Promise<LoadedServiceDefinition> {
    const extracted = await extractServiceZipToCache(path, options);
    const { manifest } = extracted;
    const io = await readStageIo(manifest, (p) => extracted.files.get(p)!);
    const labelCounts = new Map<string, number>();
    for (const stage of manifest.stages) {
      if (stage.kind === 'classifier')
        labelCounts.set(stage.labels, parseLabels(await readFile(extracted.files.get(stage.labels)!, 'utf8')).length);
    }
    validateManifestSemantics(manifest, { io: (_stage, index) => io[index], labelCounts });
    return Object.freeze({ manifest, dir: extracted.dir, sha256: extracted.sha256 });
  }
}

/** The declared ports of every model stage (ONNX graph declarations; Keras model.json), by stage index. */
async function readStageIo(
  manifest: ServiceManifest,
  pathOf: (file: string) => string,
): Promise<(StageIo | undefined)[]> {
  return Promise.all(
    manifest.stages.map(async (stage: StageManifest): Promise<StageIo | undefined> => {
      if (stage.kind === 'onnx' || stage.kind === 'featurizer') {
        const declared = declaredModelIo(await readOnnxModel(pathOf(stage.file)));
        if (declared.inputs.includes(undefined) || declared.outputs.includes(undefined)) return undefined;
        return { inputs: declared.inputs as TensorInfo[], outputs: declared.outputs as TensorInfo[] };
      }
      if (stage.kind === 'keras') {
        const { createKerasModel } = await import('../keras/index.js');
        const model = await createKerasModel(pathOf(stage.file).replace(/model\.json$/, ''));
        try {
          return { inputs: [{ ...model.input, name: 'input' }], outputs: [{ ...model.output, name: 'output' }] };
        } finally {
          model.dispose();
        }
      }
      return undefined;
    }),
  );
}

function isCompiled(sources: SaveServiceOptions['sources']): sources is ModelSources {
  return sources !== undefined && Object.isFrozen(sources) && typeof (sources as ModelSources).cacheDir === 'string';
}
