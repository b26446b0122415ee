import { readFile } from 'node:fs/promises';
import {
  declaredModelIo,
  decodeOnnxModel,
  imageStageOutput,
  localBlobPath,
  readServiceZip,
  type BlobStore,
  type ModelVersionRecord,
  type RegistryStore,
  type StageManifest,
  type TensorInfo,
} from '@tachyon-serve/core';
import {
  TachyonError,
  type UiModelDetail as ModelDetail,
  type UiModelSummary as ModelSummary,
  type UiStageView as StageView,
  type UiTensorView as TensorView,
  type UiVersionSummary as VersionSummary,
} from '@tachyon-serve/protocol';

/** Artifacts larger than this are described without reading their ONNX graphs (no tensor shapes). */
const MAX_INSPECTED_BYTES = 512 * 1024 * 1024;

/** Every registered model with its versions (newest first) and the services that use each. */
export async function listModels(store: RegistryStore): Promise<ModelSummary[]> {
  const [versions, deployments] = await Promise.all([store.listVersions(), store.listDeployments()]);
  const users = new Map<string, string[]>();
  for (const d of deployments) {
    const model = (d.spec as { model?: { name?: string; version?: number } }).model;
    if (model?.name === undefined) continue;
    const key = `${model.name}:${model.version}`;
    users.set(key, [...(users.get(key) ?? []), d.name]);
  }
  const byName = new Map<string, VersionSummary[]>();
  for (const v of versions)
    byName.set(v.name, [...(byName.get(v.name) ?? []), summarize(v, users.get(`${v.name}:${v.version}`) ?? [])]);
  return [...byName].map(([name, list]) => ({ name, versions: list.sort((a, b) => b.version - a.version) }));
}

function summarize(v: ModelVersionRecord, deployedAs: string[]): VersionSummary {
  return {
    version: v.version,
    kind: v.kind,
    size: v.size,
    sha256: v.sha256,
    createdAt: v.createdAt,
    description: v.description,
    tags: v.tags,
    deployedAs,
  };
}

/**
 * One version in detail: its stages with the tensor shapes the manifest (image stages) and the ONNX graphs declare.
 * Artifacts are content-addressed, so a description is cached by sha256 for the daemon's lifetime.
 */
export class ModelDescriber {
  readonly #store: RegistryStore;
  readonly #blobs: () => Promise<BlobStore>;
  readonly #cache = new Map<string, Promise<{ stages: StageView[]; files: ModelDetail['files'] }>>();

  /** `blobs`: the artifact store, or a function opening it on first use (a PostgreSQL store connects). */
  constructor(store: RegistryStore, blobs: BlobStore | (() => Promise<BlobStore>)) {
    this.#store = store;
    let opened: Promise<BlobStore> | undefined;
    this.#blobs = typeof blobs === 'function' ? () => (opened ??= blobs()) : async () => blobs;
  }

  async describe(name: string, version: number): Promise<ModelDetail> {
    const record = await this.#store.getVersion(name, version);
    if (record === undefined) {
      throw new TachyonError('TCH_ERR_REGISTRY_MODEL_NOT_FOUND', `No registered model "${name}" version ${version}.`, {
        details: { name, version },
      });
    }
    const models = await listModels(this.#store);
    const summary = models.find((m) => m.name === name)!;
    let pending = this.#cache.get(record.sha256);
    if (pending === undefined) {
      pending = this.#inspect(record);
      this.#cache.set(record.sha256, pending);
      pending.catch(() => this.#cache.delete(record.sha256));
    }
    const { stages, files } = await pending;
    return {
      ...summary.versions.find((v) => v.version === version)!,
      name,
      versions: summary.versions.map((v) => v.version),
      stages,
      files,
    };
  }

  async #inspect(record: ModelVersionRecord): Promise<{ stages: StageView[]; files: ModelDetail['files'] }> {
    const path = await localBlobPath(await this.#blobs(), record.sha256);
    const inspect = record.size <= MAX_INSPECTED_BYTES;
    if (record.kind === 'onnx') {
      const io = inspect ? declaredModelIo(decodeOnnxModel(await readFile(path))) : undefined;
      const ports = (list: (TensorInfo | undefined)[] | undefined): TensorView[] =>
        (list ?? []).flatMap((t) => (t === undefined ? [] : [view(t.name, t.name, t)]));
      const file = { path: `${record.name}.onnx`, size: record.size, sha256: record.sha256 };
      return {
        stages: [
          {
            name: 'model',
            kind: 'onnx',
            description: 'a bare ONNX model (served as image -> model -> classifier)',
            file,
            inputs: ports(io?.inputs),
            outputs: ports(io?.outputs),
            settings: {},
          },
        ],
        files: [file],
      };
    }
    const { manifest, files } = await readServiceZip(path);
    const entries = new Map(manifest.files.map((f) => [f.path, f]));
    const stages = manifest.stages.map((stage) => describeStage(stage, entries, inspect ? files : new Map()));
    // A port whose model does not say (a classifier) reads a tensor an earlier stage produced: show that one's type.
    const produced = new Map(stages.flatMap((s) => s.outputs.map((o) => [o.tensor, o] as const)));
    for (const stage of stages) {
      stage.inputs = stage.inputs.map((i) =>
        i.dims === null && produced.has(i.tensor)
          ? { ...i, dtype: produced.get(i.tensor)!.dtype, dims: produced.get(i.tensor)!.dims }
          : i,
      );
    }
    return { stages, files: manifest.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) };
  }
}

function view(port: string, tensor: string, info: TensorInfo | undefined): TensorView {
  return { port, tensor, dtype: info?.dtype ?? null, dims: info === undefined ? null : [...info.dims] };
}

function describeStage(
  stage: StageManifest,
  entries: Map<string, { path: string; size: number; sha256: string }>,
  bytes: Map<string, Uint8Array>,
): StageView {
  const base = { name: stage.name, kind: stage.kind, description: stage.description ?? null };
  const plain = (ports: Record<string, string>): TensorView[] =>
    Object.entries(ports).map(([port, tensor]) => view(port, tensor, undefined));
  switch (stage.kind) {
    case 'image': {
      const out = imageStageOutput(stage);
      return {
        ...base,
        file: null,
        inputs: [
          { port: 'images', tensor: stage.inputs['images'] ?? 'images', dtype: 'encoded image bytes', dims: [-1] },
        ],
        outputs: Object.entries(stage.outputs).map(([port, tensor]) => view(port, tensor, out)),
        settings: { preprocess: stage.preprocess },
      };
    }
    case 'classifier':
      return {
        ...base,
        file: entries.get(stage.labels) ?? null,
        inputs: plain(stage.inputs),
        outputs: [],
        settings: { outputKind: stage.outputKind, topK: stage.topK, labels: stage.labels },
      };
    case 'keras':
      return {
        ...base,
        file: entries.get(stage.file) ?? null,
        inputs: plain(stage.inputs),
        outputs: plain(stage.outputs),
        settings: {},
      };
    case 'onnx':
    case 'featurizer': {
      const data = bytes.get(stage.file);
      const io = data === undefined ? undefined : declaredModelIo(decodeOnnxModel(data));
      const find = (list: (TensorInfo | undefined)[] | undefined, port: string) => list?.find((t) => t?.name === port);
      const settings =
        stage.kind === 'featurizer'
          ? {
              model: stage.model,
              featureTensor: stage.featureTensor,
              ...(stage.quantization === undefined ? {} : { quantization: stage.quantization }),
            }
          : {};
      return {
        ...base,
        file: entries.get(stage.file) ?? null,
        inputs: Object.entries(stage.inputs).map(([port, tensor]) => view(port, tensor, find(io?.inputs, port))),
        outputs: Object.entries(stage.outputs).map(([port, tensor]) => view(port, tensor, find(io?.outputs, port))),
        settings: {
          ...settings,
          ...(stage.executionProviders === undefined ? {} : { executionProviders: stage.executionProviders }),
        },
      };
    }
  }
}
