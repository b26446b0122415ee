import {
  createWorkspace,
  locateWorkspaceConfig,
  openRegistry,
  readAdminKey,
  type CreateWorkspaceOptions,
  type ModelRegistry,
  type OpenRegistryOptions,
  type WorkspaceConfig,
} from '@tachyon-serve/core';
import { connectDaemon } from './daemon-connection.js';
import type { DeploymentControl } from './deployment-control.js';

/** Registry options, plus where deployments go. */
export interface WorkspaceOptions extends OpenRegistryOptions {
  /**
   * The deployment controller `Webservice` talks to. @default the workspace's local daemon (`tachyon daemon`),
   * started on first use and found again through the workspace
   */
  deployments?: DeploymentControl;
}

/**
 * A tachyon workspace: tachyon.json, its model registry and its admin key — `Workspace.from_config()` of the
 * original. The registry opens on first use (running crash recovery); `close()` releases it.
 */
export class Workspace {
  readonly config: WorkspaceConfig;
  readonly #registryOptions: OpenRegistryOptions;
  #registry: Promise<ModelRegistry> | undefined;
  #deployments: Promise<DeploymentControl> | undefined;
  #closed = false;

  private constructor(config: WorkspaceConfig, options: WorkspaceOptions) {
    const { deployments, ...registryOptions } = options;
    this.config = config;
    this.#registryOptions = registryOptions;
    if (deployments !== undefined) this.#deployments = Promise.resolve(deployments);
  }

  /**
   * The workspace of `path` (tachyon.json or the folder holding it) or, without it, of the tachyon.json found from
   * the working directory upward. TCH_ERR_WORKSPACE_NOT_FOUND when there is none.
   */
  static async fromConfig(path?: string, options: WorkspaceOptions = {}): Promise<Workspace> {
    return new Workspace(locateWorkspaceConfig(path), options);
  }

  /** Creates a workspace in `dir` (see `createWorkspace`: TCH_ERR_WORKSPACE_EXISTS if it holds one). */
  static async create(
    dir: string,
    options: CreateWorkspaceOptions = {},
    registryOptions: WorkspaceOptions = {},
  ): Promise<Workspace> {
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

  /** The deployment controller (the local daemon, started on first use unless one was given). */
  deployments(): Promise<DeploymentControl> {
    if (this.#closed) return Promise.reject(new TypeError(`Workspace "${this.name}" is closed.`));
    if (this.#deployments === undefined) {
      this.#deployments = connectDaemon(this.root);
      this.#deployments.catch(() => (this.#deployments = undefined));
    }
    return this.#deployments;
  }

  /**
   * Stops the workspace's daemon and every service process it runs; their desired state stays in the registry, so
   * the next `deployments()` brings them back. Does nothing when no daemon runs.
   */
  async stopDaemon(): Promise<void> {
    const control = await (this.#deployments ?? connectDaemon(this.root, { start: false })).catch(() => undefined);
    this.#deployments = undefined;
    await control?.shutdown();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const registry = await this.#registry?.catch(() => undefined);
    this.#registry = undefined;
    const deployments = await this.#deployments?.catch(() => undefined);
    this.#deployments = undefined;
    await Promise.all([registry?.close(), deployments?.close?.()]);
  }

  toJSON(): { name: string; root: string; file: string | undefined } {
    return { name: this.name, root: this.root, file: this.config.file };
  }
}
