import {
  createWorkspace,
  locateWorkspaceConfig,
  openRegistry,
  readAdminKey,
  type CreateWorkspaceOptions,
  type ModelRegistry,
  type OpenRegistryOptions,
  type WorkspaceConfig,
} from '@tachyon/core';

/**
 * A tachyon workspace: tachyon.json, its model registry and its admin key — `Workspace.from_config()` of the
 * original. The registry opens on first use (running crash recovery); `close()` releases it.
 */
export class Workspace {
  readonly config: WorkspaceConfig;
  readonly #registryOptions: OpenRegistryOptions;
  #registry: Promise<ModelRegistry> | undefined;
  #closed = false;

  private constructor(config: WorkspaceConfig, registryOptions: OpenRegistryOptions) {
    this.config = config;
    this.#registryOptions = registryOptions;
  }

  /**
   * The workspace of `path` (tachyon.json or the folder holding it) or, without it, of the tachyon.json found from
   * the working directory upward. TCH_ERR_WORKSPACE_NOT_FOUND when there is none.
   */
  static async fromConfig(path?: string, options: OpenRegistryOptions = {}): Promise<Workspace> {
    return new Workspace(locateWorkspaceConfig(path), options);
  }

  /** Creates a workspace in `dir` (see `createWorkspace`: TCH_ERR_WORKSPACE_EXISTS if it holds one). */
  static async create(dir: string, options: CreateWorkspaceOptions = {}, registryOptions: OpenRegistryOptions = {}): Promise<Workspace> {
    return new Workspace(await createWorkspace(dir, options), registryOptions);
  }

  get name(): string {
    return this.config.name;
  }

  /** The folder holding tachyon.json. */
  get root(): string {
    return this.config.root;
  }

  /** The admin key (32 random bytes, base64url) from `.tachyon/admin.key`. A secret: never log it. */
  adminKey(): Promise<string> {
    return readAdminKey(this.config);
  }

  /** The model registry, opened once. */
  registry(): Promise<ModelRegistry> {
    if (this.#closed) return Promise.reject(new TypeError(`Workspace "${this.name}" is closed.`));
    if (this.#registry === undefined) {
      this.#registry = openRegistry(this.config, this.#registryOptions);
      // A failed open may be retried by the next call.
      this.#registry.catch(() => (this.#registry = undefined));
    }
    return this.#registry;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const registry = await this.#registry?.catch(() => undefined);
    this.#registry = undefined;
    await registry?.close();
  }

  toJSON(): { name: string; root: string; file: string | undefined } {
    return { name: this.name, root: this.root, file: this.config.file };
  }
}
