import { readFile } from 'node:fs/promises';
import { createClient, type ClassifyResult, type TachyonClient } from '@tachyon-serve/client';
import { TachyonError, type ServiceKeysBody, type ServiceState, type ServiceStatus } from '@tachyon-serve/protocol';
import { compileDeployConfig, toModelRef, type ModelLike, type WebserviceDeployOptions } from './deploy-config.js';
import type { DeploymentControl } from './deployment-control.js';
import { readImages, type ImageInput } from './service-input.js';
import { waitForHealthy, type WaitOptions } from './wait-for-deployment.js';
import type { Workspace } from './workspace.js';

/** How `run` and `classify` reach the service. */
export interface WebserviceCallOptions {
  /** HTTP (raw image + KServe v2 binary) or gRPC (KServe v2 ModelInfer). @default 'http' */
  protocol?: 'http' | 'grpc';
  /** Deadline of one call, retries included. @default 30000 */
  timeoutMs?: number;
  /** Extra attempts on UNAVAILABLE and connection errors, with exponential backoff. @default 2 */
  retries?: number;
  /** The key to send: 'primary', 'secondary', or a key itself. @default 'primary' */
  key?: 'primary' | 'secondary' | (string & {});
}

export interface ClassifyCallOptions extends WebserviceCallOptions {
  /** Classes per image. @default 5 */
  top?: number;
}

/** The original's `image_config` (ContainerImage): accepted for the same call shape; nothing to build locally. */
export interface ImageConfig {
  description?: string;
}

/**
 * A deployed web service — `Webservice` of the original. Get-or-deploy by name, wait, call, update, delete.
 * The instance holds the last status it saw (`refresh()` reads it again) and keep-alive clients (`close()`).
 */
export class Webservice {
  readonly workspace: Workspace;
  #status: ServiceStatus;
  #defaults: WebserviceCallOptions;
  #clients = new Map<string, TachyonClient>();
  #keys: ServiceKeysBody | undefined;

  private constructor(workspace: Workspace, status: ServiceStatus, defaults: WebserviceCallOptions = {}) {
    this.workspace = workspace;
    this.#status = status;
    this.#defaults = defaults;
  }

  /** The service `name`; TCH_ERR_SERVICE_NOT_FOUND (catch it with `isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND')`) when there is none. */
  static async get(workspace: Workspace, name: string, options: WebserviceCallOptions = {}): Promise<Webservice> {
    checkName(name);
    const control = await controlOf(workspace);
    return new Webservice(workspace, await control.get(name), options);
  }

  /** Every service of the workspace. */
  static async list(workspace: Workspace): Promise<Webservice[]> {
    const control = await controlOf(workspace);
    return (await control.list()).map((status) => new Webservice(workspace, status));
  }

  /**
   * Deploys `models[0]` (a registered version) as service `name`, or leaves it as it is when it already runs this
   * exact spec (idempotent: no restart). Returns at once; `waitForDeployment()` waits until it serves.
   */
  static async deployFromModel(
    workspace: Workspace,
    name: string,
    models: ModelLike | readonly ModelLike[],
    imageConfig?: ImageConfig | null,
    deployConfig: WebserviceDeployOptions = {},
  ): Promise<Webservice> {
    checkName(name);
    const list = Array.isArray(models) ? models : [models as ModelLike];
    if (list.length !== 1)
      throw new RangeError(
        `models: expected exactly one model, got ${list.length} (use deployConfig.canary for a second version).`,
      );
    if (imageConfig !== undefined && imageConfig !== null && typeof imageConfig !== 'object')
      throw new TypeError('imageConfig: expected an object or undefined.');
    const spec = compileDeployConfig(list[0]!, deployConfig);
    const control = await controlOf(workspace);
    const { status } = await control.deploy(name, spec);
    return new Webservice(workspace, status);
  }

  get name(): string {
    return this.#status.name;
  }
  /** Transitioning, Healthy, Unhealthy, Failed or Deleting, as last seen. */
  get state(): ServiceState {
    return this.#status.state;
  }
  /** The raw-image scoring URL (`<httpUrl>/v1/services/<name>/classify`); undefined until the process listens. */
  get scoringUri(): string | undefined {
    return this.#status.scoringUri;
  }
  get grpcAddress(): string | undefined {
    return this.#status.grpcAddress;
  }
  /** The PEM file to trust for a self-signed service, undefined for plaintext. */
  get caFile(): string | undefined {
    return this.#status.caFile;
  }
  /** Why it is not Healthy. */
  get reason(): string | undefined {
    return this.#status.reason;
  }
  get status(): Readonly<ServiceStatus> {
    return this.#status;
  }

  /** Reads the status again. */
  async refresh(): Promise<this> {
    this.#status = await (await this.#control()).get(this.name);
    return this;
  }

  /**
   * Waits until the service is Healthy at its latest generation; progress lines on stderr with `showOutput`.
   * TCH_ERR_DEPLOY_FAILED (reason and last log lines in details) when it failed; TCH_ERR_DEPLOY_TIMEOUT after `timeoutMs`.
   */
  async waitForDeployment(options: WaitOptions = {}): Promise<this> {
    const control = await this.#control();
    this.#status = await waitForHealthy(control, this.#status, options);
    return this;
  }

  /** The primary and secondary keys (secrets: never log them). */
  async getKeys(): Promise<ServiceKeysBody> {
    this.#keys = await (await this.#control()).keys(this.name);
    return { ...this.#keys };
  }

  /** Replaces one key; the other keeps working, so clients can switch without downtime. Returns both keys. */
  async regenerateKey(which: 'primary' | 'secondary'): Promise<ServiceKeysBody> {
    if (which !== 'primary' && which !== 'secondary')
      throw new TypeError(`key: expected "primary" or "secondary", got ${JSON.stringify(which)}.`);
    this.#keys = await (await this.#control()).regenerateKey(this.name, which);
    await this.close(); // clients hold the old key
    return { ...this.#keys };
  }

  /** The service process's last log lines (`tail`, default all the daemon keeps). */
  async getLogs(options: { tail?: number } = {}): Promise<string[]> {
    if (options.tail !== undefined && (!Number.isInteger(options.tail) || options.tail < 1))
      throw new RangeError(`tail: expected an integer >= 1, got ${String(options.tail)}.`);
    return (await this.#control()).logs(this.name, options.tail);
  }

  /**
   * Rolling update: the new spec (model version, canary, workers...; unspecified fields keep their values) loads and
   * warms up before traffic moves. Returns at once; `waitForDeployment()` waits for the switch.
   */
  async update(options: WebserviceDeployOptions & { model?: ModelLike } = {}): Promise<this> {
    const current = this.#status.spec;
    const merged: WebserviceDeployOptions = {
      ...(current.workers === undefined ? {} : { workers: current.workers }),
      ...(current.scheduler === undefined ? {} : { scheduler: current.scheduler }),
      ...(current.tls === undefined ? {} : { tls: current.tls }),
      ...(current.canary === undefined ? {} : { canary: current.canary }),
      ...(current.httpPort === undefined ? {} : { httpPort: current.httpPort }),
      ...(current.grpcPort === undefined ? {} : { grpcPort: current.grpcPort }),
      ...withoutModel(options),
    };
    const spec = compileDeployConfig(options.model === undefined ? current.model : toModelRef(options.model), merged);
    this.#status = (await (await this.#control()).deploy(this.name, spec)).status;
    await this.close(); // the address or certificate may change
    return this;
  }

  /** Drains and removes the service: its process, files and registry row. Returns what was removed. */
  async delete(): Promise<string[]> {
    await this.close();
    return (await this.#control()).delete(this.name);
  }

  /** Every class confidence of each image (the original's `service.run`): one Float32Array per image. */
  run(image: ImageInput, options?: WebserviceCallOptions): Promise<Float32Array>;
  run(images: readonly ImageInput[], options?: WebserviceCallOptions): Promise<Float32Array[]>;
  async run(
    input: ImageInput | readonly ImageInput[],
    options: WebserviceCallOptions = {},
  ): Promise<Float32Array | Float32Array[]> {
    const { images } = await readImages(input);
    const rows = await (await this.client(options)).infer(this.name, images, callOf(options));
    return Array.isArray(input) ? rows : rows[0]!;
  }

  /** The top classes of each image with their labels, best first (`file` is the path's base name, or `image<i>`). */
  classify(image: ImageInput, options?: ClassifyCallOptions): Promise<ClassifyResult>;
  classify(images: readonly ImageInput[], options?: ClassifyCallOptions): Promise<ClassifyResult[]>;
  async classify(
    input: ImageInput | readonly ImageInput[],
    options: ClassifyCallOptions = {},
  ): Promise<ClassifyResult | ClassifyResult[]> {
    const { images, names } = await readImages(input);
    const client = await this.client(options);
    const results = await client.classify(this.name, images, {
      ...callOf(options),
      names,
      ...(options.top === undefined ? {} : { top: options.top }),
    });
    return Array.isArray(input) ? results : results[0]!;
  }

  /** A client of this service (cached per protocol and key), with its key, CA and address from the status. */
  async client(options: WebserviceCallOptions = {}): Promise<TachyonClient> {
    const o = { ...this.#defaults, ...options };
    const protocol = o.protocol ?? 'http';
    if (protocol !== 'http' && protocol !== 'grpc')
      throw new TypeError(`protocol: expected "http" or "grpc", got ${JSON.stringify(protocol)}.`);
    const which = o.key ?? 'primary';
    const cacheKey = `${protocol}|${which}|${o.retries ?? ''}`;
    const cached = this.#clients.get(cacheKey);
    if (cached) return cached;
    const status =
      this.#status.httpUrl === undefined || this.#status.grpcAddress === undefined
        ? (await this.refresh()).#status
        : this.#status;
    if (status.httpUrl === undefined || status.grpcAddress === undefined) {
      throw new TachyonError(
        'TCH_ERR_SERVICE_STATE_INVALID',
        `Service "${this.name}" is ${status.state} and not listening yet; wait for it with waitForDeployment().`,
        {
          details: { service: this.name, state: status.state },
        },
      );
    }
    const key =
      which === 'primary' || which === 'secondary'
        ? (this.#keys ?? (await this.getKeys()))[which as 'primary' | 'secondary']
        : which;
    const client = createClient({
      url: status.httpUrl,
      grpcAddress: status.grpcAddress,
      protocol,
      key,
      ...(status.caFile === undefined ? {} : { ca: await readFile(status.caFile) }),
      ...(o.retries === undefined ? {} : { retries: o.retries }),
    });
    this.#clients.set(cacheKey, client);
    return client;
  }

  /** Closes the keep-alive connections of this instance's clients. */
  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }

  toJSON(): ServiceStatus {
    return this.#status;
  }

  #control(): Promise<DeploymentControl> {
    return controlOf(this.workspace);
  }
}

function withoutModel(options: WebserviceDeployOptions & { model?: ModelLike }): WebserviceDeployOptions {
  const { model: _model, ...rest } = options;
  return rest;
}

function callOf(options: WebserviceCallOptions): { timeoutMs?: number } {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 50) {
    throw new TypeError(
      `name: expected a service name of lowercase letters, digits and '-' (a DNS label, at most 50 characters), got ${JSON.stringify(name)}.`,
    );
  }
}

function controlOf(workspace: Workspace): Promise<DeploymentControl> {
  if (
    typeof workspace !== 'object' ||
    workspace === null ||
    typeof (workspace as Workspace).deployments !== 'function'
  ) {
    throw new TypeError('workspace must be a Workspace (Workspace.fromConfig or Workspace.create).');
  }
  return workspace.deployments();
}
