import type {
  ArtifactKind,
  CopyProgress,
  DeleteOptions,
  ModelVersionRecord,
  RegisterOptions,
} from '@tachyon-serve/core';
import type { Workspace } from './workspace.js';

/**
 * One registered model version — `Model` of the original: `Model.register(ws, path, name)` gives version 1, 2, ...
 * of `name`; `model.delete()` removes it. Instances are snapshots; `tag` updates this one in place.
 */
export class Model {
  readonly workspace: Workspace;
  #record: ModelVersionRecord;

  private constructor(workspace: Workspace, record: ModelVersionRecord) {
    this.workspace = workspace;
    this.#record = record;
  }

  /**
   * Registers a service-definition zip or an .onnx file as the next version of `name` (validated, copied into
   * the content-addressed store, crash-safe). Names match [a-z0-9][a-z0-9._-]*.
   */
  static async register(
    workspace: Workspace,
    path: string,
    name: string,
    options: RegisterOptions = {},
  ): Promise<Model> {
    const registry = await checkWorkspace(workspace).registry();
    return new Model(workspace, await registry.register(path, name, options));
  }

  /** The latest version of `name`, or `version`; `name` may also be written `name:version`. TCH_ERR_REGISTRY_MODEL_NOT_FOUND otherwise. */
  static async get(workspace: Workspace, name: string, version?: number): Promise<Model> {
    const registry = await checkWorkspace(workspace).registry();
    return new Model(workspace, await registry.get(name, version));
  }

  /** Every registered version, ordered by name then version; optionally of one name or carrying a tag. */
  static async list(
    workspace: Workspace,
    filter: { name?: string; tag?: { key: string; value?: string } } = {},
  ): Promise<Model[]> {
    const registry = await checkWorkspace(workspace).registry();
    return (await registry.list(filter)).map((record) => new Model(workspace, record));
  }

  get name(): string {
    return this.#record.name;
  }
  get version(): number {
    return this.#record.version;
  }
  /** `name:version`. */
  get id(): string {
    return `${this.#record.name}:${this.#record.version}`;
  }
  get sha256(): string {
    return this.#record.sha256;
  }
  get size(): number {
    return this.#record.size;
  }
  get kind(): ArtifactKind {
    return this.#record.kind;
  }
  get description(): string | null {
    return this.#record.description;
  }
  get tags(): Readonly<Record<string, string>> {
    return this.#record.tags;
  }
  get properties(): Readonly<Record<string, string>> {
    return this.#record.properties;
  }
  /** ISO 8601, UTC. */
  get createdAt(): string {
    return this.#record.createdAt;
  }
  get record(): ModelVersionRecord {
    return this.#record;
  }

  /** Writes the artifact to `out` (a file, or a folder to put `<name>-<version>.<zip|onnx>` in); returns the path. */
  async download(out: string, options: { onProgress?: CopyProgress } = {}): Promise<string> {
    const registry = await this.workspace.registry();
    const { path } = await registry.download(this.#record.name, out, { version: this.#record.version, ...options });
    return path;
  }

  /** Deletes this version; TCH_ERR_REGISTRY_IN_USE while a deployment uses it, unless `force`. */
  async delete(options: DeleteOptions = {}): Promise<void> {
    const registry = await this.workspace.registry();
    await registry.delete(this.#record.name, this.#record.version, options);
  }

  /** Sets and removes tags (stored at once); returns this model, updated. */
  async tag(set: Record<string, string> = {}, remove: readonly string[] = []): Promise<this> {
    const registry = await this.workspace.registry();
    this.#record = await registry.tag(this.#record.name, this.#record.version, set, remove);
    return this;
  }

  addTags(tags: Record<string, string>): Promise<this> {
    return this.tag(tags);
  }

  removeTags(keys: readonly string[]): Promise<this> {
    return this.tag({}, keys);
  }

  /** The path of the stored artifact on this machine (read-only; for runtimes that want a file). */
  async artifactPath(): Promise<string> {
    return (await this.workspace.registry()).localArtifactPath(this.#record);
  }

  toJSON(): ModelVersionRecord {
    return this.#record;
  }
}

function checkWorkspace(workspace: Workspace): Workspace {
  if (typeof workspace !== 'object' || workspace === null || typeof (workspace as Workspace).registry !== 'function') {
    throw new TypeError('workspace must be a Workspace (Workspace.fromConfig or Workspace.create).');
  }
  return workspace;
}
