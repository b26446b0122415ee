import { TachyonError, type ServiceSpec, type ServiceState, type ServiceStatus } from '@tachyon-serve/protocol';
import type { DeploymentRecord, RegistryStore } from '../registry/registry-store.js';
import { canTransition } from './deployment-states.js';
import { RotatingLog, type RotatingLogOptions } from './rotating-log.js';
import {
  buildServeConfig,
  ensureSelfSignedCertificate,
  ensureServiceKeys,
  prepareServiceDir,
  readServiceKeys,
  regenerateServiceKey,
  removeServiceDir,
  servicePaths,
  writeServeConfig,
  type ServicePaths,
} from './service-files.js';
import {
  compileServiceSpec,
  isVersionOnlyChange,
  validateServiceName,
  type CompiledServiceSpec,
} from './service-spec.js';
import { buildServiceStatus, stopOrphanProcess } from './service-status.js';
import { ServiceSupervisor, type ServiceLauncher, type SupervisorEvent } from './service-supervisor.js';
import { compileSupervisorOptions, type SupervisorConfig, type SupervisorOptions } from './supervisor-options.js';

export interface DeploymentControllerOptions {
  /** The workspace folder (holding tachyon.json); service files go to `<root>/.tachyon/services/`. */
  workspaceRoot: string;
  /** The workspace registry's store: deployments are rows in it. The controller does not close it. */
  store: RegistryStore;
  /** How a service process is started. */
  launcher: ServiceLauncher;
  /** @default SUPERVISOR_DEFAULTS */
  supervisor?: SupervisorOptions;
  /** Rotation of each service's log. @default { maxBytes: 5 MiB, files: 3 } */
  log?: RotatingLogOptions;
  /** Where the controller reports what it does (one line each). @default none */
  logger?: (message: string) => void;
}

interface Managed {
  spec: CompiledServiceSpec;
  paths: ServicePaths;
  log: RotatingLog;
  supervisor: ServiceSupervisor;
  /** A rolling update is loading the new version: health events must not declare the service Healthy yet. */
  updating: boolean;
}

/**
 * The reconciler: makes the running service processes match the deployment rows of the workspace registry. One
 * `tachyon serve` process per service (docs/deployments.md), supervised by a ServiceSupervisor. Calls on one service
 * are serialized; state changes follow SERVICE_TRANSITIONS (an event that would break them is ignored).
 */
export class DeploymentController {
  readonly #root: string;
  readonly #store: RegistryStore;
  readonly #launcher: ServiceLauncher;
  readonly #config: SupervisorConfig;
  readonly #logOptions: RotatingLogOptions;
  readonly #logger: (message: string) => void;
  readonly #managed = new Map<string, Managed>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #background = new Set<Promise<unknown>>();
  #closed = false;
  /** Why the controller changes nothing right now (its registry lease is lost), or undefined. */
  #paused: string | undefined;

  constructor(options: DeploymentControllerOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('options: expected DeploymentControllerOptions.');
    if (typeof options.workspaceRoot !== 'string' || options.workspaceRoot === '')
      throw new TypeError('options.workspaceRoot: expected a folder.');
    if (typeof options.store !== 'object' || options.store === null)
      throw new TypeError('options.store: expected a RegistryStore.');
    if (typeof options.launcher?.command !== 'string' || typeof options.launcher.args !== 'function')
      throw new TypeError('options.launcher: expected { command, args }.');
    this.#root = options.workspaceRoot;
    this.#store = options.store;
    this.#launcher = options.launcher;
    this.#config = compileSupervisorOptions(options.supervisor);
    this.#logOptions = options.log ?? {};
    this.#logger = options.logger ?? (() => undefined);
  }

  /** Reconciles every row: finishes interrupted deletes, ends orphaned processes, starts every desired service. */
  async start(): Promise<void> {
    for (const record of await this.#store.listDeployments()) {
      await this.#serial(record.name, async () => {
        const paths = servicePaths(this.#root, record.name);
        await stopOrphanProcess(record.runtime['pid'], paths);
        if (record.state === 'Deleting') return this.#remove(record.name, paths);
        await this.#store.setDeploymentState(record.name, 'Transitioning', 'the daemon started');
        // One service that cannot start (its files, its certificate) must not keep the others down.
        await this.#launch(record.name, compileServiceSpec(record.spec as unknown as ServiceSpec), record).catch(
          async (error: unknown) => {
            await this.#store.setDeploymentState(record.name, 'Failed', (error as Error).message);
          },
        );
      });
    }
  }

  /**
   * Makes `spec` the desired state of `name`: a new service starts; an unchanged spec changes nothing (`changed:
   * false`, same process) unless the service Failed (then it is retried); a new model version of the same model rolls
   * on the running process; any other change restarts the process on the same ports. Resolves once the change is
   * recorded and started, with the service Transitioning; `waitFor` its Healthy state.
   */
  async apply(name: string, spec: ServiceSpec): Promise<{ status: ServiceStatus; changed: boolean }> {
    validateServiceName(name);
    const compiled = compileServiceSpec(spec);
    this.#checkOpen();
    return this.#serial(name, async () => {
      const old = await this.#store.getDeployment(name);
      if (old?.state === 'Deleting') {
        throw new TachyonError(
          'TCH_ERR_SERVICE_STATE_INVALID',
          `Service "${name}" is being deleted; deploy it again once the delete finished.`,
          {
            details: { service: name, from: 'Deleting', allowed: [] },
          },
        );
      }
      const { record, changed } = await this.#store.putDeployment({
        name,
        spec: compiled as unknown as Record<string, unknown>,
        state: 'Transitioning',
        model: compiled.model,
      });
      const managed = this.#managed.get(name);
      if (!changed && managed !== undefined && record.state !== 'Failed')
        return { status: this.#status(record), changed: false };
      if (!changed) await this.#store.setDeploymentState(name, 'Transitioning', 'redeployed');
      if (
        managed !== undefined &&
        managed.supervisor.ready !== undefined &&
        changed &&
        isVersionOnlyChange(managed.spec, compiled)
      ) {
        await this.#rollingUpdate(name, managed, compiled);
      } else {
        if (managed !== undefined) await this.#stopManaged(name, managed);
        await this.#launch(name, compiled, record).catch(async (error: unknown) => {
          await this.#store.setDeploymentState(name, 'Failed', (error as Error).message);
          throw error;
        });
      }
      return { status: this.#status((await this.#store.getDeployment(name))!), changed: true };
    });
  }

  /** Stops the process (it drains), removes the service's folder and its row. Resolves with the deleted names. */
  async delete(name: string): Promise<string[]> {
    validateServiceName(name);
    this.#checkOpen();
    return this.#serial(name, async () => {
      const record = await this.#store.getDeployment(name);
      if (record === undefined) throw notFound(name);
      await this.#store.setDeploymentState(name, 'Deleting', null);
      const managed = this.#managed.get(name);
      if (managed !== undefined) await this.#stopManaged(name, managed);
      await this.#remove(name, servicePaths(this.#root, name));
      return [name];
    });
  }

  async status(name: string): Promise<ServiceStatus> {
    validateServiceName(name);
    const record = await this.#store.getDeployment(name);
    if (record === undefined) throw notFound(name);
    return this.#status(record);
  }

  async list(): Promise<ServiceStatus[]> {
    return (await this.#store.listDeployments()).map((r) => this.#status(r));
  }

  /** The last `tail` lines of the service's server log (current and rotated files). */
  async logs(name: string, tail = 100): Promise<string[]> {
    await this.status(name);
    const managed = this.#managed.get(name);
    return (managed?.log ?? new RotatingLog(servicePaths(this.#root, name).log, this.#logOptions)).tail(tail);
  }

  async keys(name: string): Promise<{ primary: string; secondary: string }> {
    await this.status(name);
    const { primary, secondary } = await readServiceKeys(servicePaths(this.#root, name));
    return { primary, secondary };
  }

  /** A new primary or secondary key, in force once the process reloaded its keys file (SIGHUP). */
  async regenerateKey(name: string, which: 'primary' | 'secondary'): Promise<{ primary: string; secondary: string }> {
    if (which !== 'primary' && which !== 'secondary') throw new TypeError('which: expected "primary" or "secondary".');
    this.#checkOpen();
    return this.#serial(name, async () => {
      await this.status(name);
      const { primary, secondary } = await regenerateServiceKey(servicePaths(this.#root, name), which);
      await this.#managed.get(name)?.supervisor.reloadKeys();
      return { primary, secondary };
    });
  }

  /**
   * While the registry is unreachable (the daemon lost its lease): running services keep serving, but nothing is
   * changed or recorded; apply, delete and key rotation are refused with TCH_ERR_DAEMON_UNAVAILABLE.
   */
  pause(reason: string): void {
    if (this.#paused !== undefined) return;
    this.#paused = reason;
    this.#logger(
      `controller paused: ${reason}; running services keep serving, nothing changes until the registry returns`,
    );
  }

  /** The lease is held again: records each running service's current state and accepts changes again. */
  resume(): void {
    if (this.#paused === undefined) return;
    this.#paused = undefined;
    this.#logger('controller resumed');
    for (const [name, managed] of this.#managed) {
      const ready = managed.supervisor.ready;
      if (ready !== undefined && !managed.updating) void this.#transition(name, 'Healthy', null);
    }
  }

  get paused(): string | undefined {
    return this.#paused;
  }

  /** Stops every service process (they drain); the rows stay, so the next start brings them back. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#background]);
    await Promise.allSettled([...this.#managed].map(([name, m]) => this.#stopManaged(name, m)));
  }

  async #launch(name: string, spec: CompiledServiceSpec, record: DeploymentRecord): Promise<void> {
    const paths = servicePaths(this.#root, name);
    await prepareServiceDir(paths);
    await ensureServiceKeys(paths);
    if (spec.tls === 'self-signed') await ensureSelfSignedCertificate(paths, name);
    const specPorts = { httpPort: spec.httpPort, grpcPort: spec.grpcPort };
    await writeServeConfig(paths, buildServeConfig(name, spec, { workspaceRoot: this.#root, paths, ...specPorts }));
    const remembered = rememberedPorts(record.runtime);
    const log = new RotatingLog(paths.log, this.#logOptions);
    const managed: Managed = {
      spec,
      paths,
      log,
      updating: false,
      supervisor: undefined as unknown as ServiceSupervisor,
    };
    managed.supervisor = new ServiceSupervisor({
      name,
      paths,
      launcher: this.#launcher,
      log,
      config: this.#config,
      specPorts,
      // Fixed ports in the spec win; ports the daemon picked are kept, so the service's URL survives restarts.
      rememberedPorts: spec.httpPort === 0 && spec.grpcPort === 0 ? remembered : undefined,
      caFile: spec.tls === 'self-signed' ? paths.tlsCert : spec.tls === 'none' ? undefined : spec.tls.certFile,
      onEvent: (event) => this.#onEvent(name, managed, event),
    });
    this.#managed.set(name, managed);
    managed.supervisor.start();
    this.#logger(`service "${name}": starting ${spec.model.name}:${spec.model.version}`);
  }

  async #rollingUpdate(name: string, managed: Managed, spec: CompiledServiceSpec): Promise<void> {
    const from = managed.spec.model.version;
    managed.updating = true;
    managed.spec = spec;
    await writeServeConfig(
      managed.paths,
      buildServeConfig(name, spec, {
        workspaceRoot: this.#root,
        paths: managed.paths,
        httpPort: spec.httpPort,
        grpcPort: spec.grpcPort,
      }),
    );
    this.#logger(`service "${name}": rolling from version ${from} to ${spec.model.version}`);
    const task = managed.supervisor
      .loadVersion(spec.model.version)
      .then(
        () => this.#transition(name, 'Healthy', null),
        (error: unknown) =>
          this.#transition(
            name,
            'Failed',
            `${(error as Error).message.replace(/\.$/, '')}; version ${from} still serves`,
          ),
      )
      .finally(() => {
        managed.updating = false;
        this.#background.delete(task);
      });
    this.#background.add(task);
  }

  #onEvent(name: string, managed: Managed, event: SupervisorEvent): void {
    if (this.#managed.get(name) !== managed) return;
    const live =
      event.type === 'ready' ? { pid: event.pid, httpPort: event.httpPort, grpcPort: event.grpcPort } : undefined;
    switch (event.type) {
      case 'starting':
        if (event.attempt > 1) void this.#transition(name, 'Transitioning', `restarting (attempt ${event.attempt})`);
        return;
      case 'ready':
      case 'healthy':
        if (!managed.updating) void this.#transition(name, 'Healthy', null, live);
        else if (live) void this.#transition(name, 'Transitioning', 'loading the new version', live);
        return;
      case 'unhealthy':
      case 'crashed':
        void this.#transition(name, 'Unhealthy', event.reason);
        return;
      case 'failed': {
        const lines = managed.log.tail(5).join(' | ').slice(-1500);
        void this.#transition(name, 'Failed', `${event.reason}${lines === '' ? '' : `. Last log lines: ${lines}`}`);
        return;
      }
    }
  }

  /** Records a state change if SERVICE_TRANSITIONS allows it (serialized per service, in event order). */
  #transition(name: string, to: ServiceState, reason: string | null, runtime?: Record<string, unknown>): Promise<void> {
    if (this.#paused !== undefined) {
      this.#logger(`service "${name}": ${to} not recorded while the controller is paused`);
      return Promise.resolve();
    }
    return this.#serial(`state:${name}`, async () => {
      const record = await this.#store.getDeployment(name);
      if (record === undefined) return;
      const from = record.state as ServiceState;
      if (!canTransition(from, to)) {
        this.#logger(`service "${name}": ignored ${from} -> ${to}`);
        return;
      }
      await this.#store.setDeploymentState(name, to, reason, runtime);
      if (from !== to) this.#logger(`service "${name}": ${from} -> ${to}${reason === null ? '' : ` (${reason})`}`);
    }).catch((error: unknown) =>
      this.#logger(`service "${name}": cannot record state ${to}: ${(error as Error).message}`),
    );
  }

  async #stopManaged(name: string, managed: Managed): Promise<void> {
    this.#managed.delete(name);
    await managed.supervisor.stop();
    managed.log.close();
  }

  async #remove(name: string, paths: ServicePaths): Promise<void> {
    await removeServiceDir(paths);
    await this.#store.deleteDeployment(name);
    this.#logger(`service "${name}": deleted`);
  }

  #status(record: DeploymentRecord): ServiceStatus {
    const managed = this.#managed.get(record.name);
    const live = managed && { ready: managed.supervisor.ready, restarts: managed.supervisor.restarts };
    return buildServiceStatus(record, managed?.paths ?? servicePaths(this.#root, record.name), live);
  }

  #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return next;
  }

  #checkOpen(): void {
    if (this.#closed) throw new TachyonError('TCH_ERR_DAEMON_UNAVAILABLE', 'The deployment daemon is shutting down.');
    if (this.#paused !== undefined) {
      throw new TachyonError(
        'TCH_ERR_DAEMON_UNAVAILABLE',
        `The registry is unreachable (${this.#paused.replace(/\.$/, '')}); the daemon changes nothing until it returns, and running services keep serving.`,
        {
          details: { paused: true },
        },
      );
    }
  }
}

function rememberedPorts(
  runtime: Readonly<Record<string, unknown>>,
): { httpPort: number; grpcPort: number } | undefined {
  const { httpPort, grpcPort } = runtime as { httpPort?: unknown; grpcPort?: unknown };
  return typeof httpPort === 'number' && typeof grpcPort === 'number' ? { httpPort, grpcPort } : undefined;
}

function notFound(name: string): TachyonError {
  return new TachyonError('TCH_ERR_SERVICE_NOT_FOUND', `No service "${name}" is deployed in this workspace.`, {
    details: { service: name },
  });
}
