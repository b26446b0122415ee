import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/backend-registry.js';
import { type ModelSources } from '../zoo/model-sources.js';
import { type SchedulerConfig } from '../scheduler/scheduler-options.js';
import { type SchedulerHooks } from '../scheduler/scheduler-types.js';
import { type WorkerPoolOptions } from '../backends/session-options.js';
import { checkBudget, estimateBytes, sourceBytes, type BudgetUsage } from './model-budget.js';
import {
  DEFAULT_VERSION_POLICY,
  compileModelControlOptions,
  type ModelControlConfig,
  type ModelControlOptions,
  type VersionPolicy,
} from './model-control-options.js';
import { notFound, reasonOf, versionNotFound } from './host-errors.js';
import { withLoadTimeout } from './load-timeout.js';
import { RegistrySource } from './registry-source.js';
import {
  buildRepositoryIndex,
  type ModelEntry,
  type RepositoryIndexEntry,
  type VersionSlot,
} from './repository-index.js';
import type { ModelMetadata } from './infer-types.js';
import { ServedModel, toModelSource, type ModelSource } from './served-model.js';

export type { RepositoryIndexEntry, RepositoryModelState } from './repository-index.js';

export interface ModelHostOptions {
  /** Where zoo models come from. */
  sources: ModelSources;
  /** The one thread budget every model's sessions share. @default {} (one worker) */
  pool?: WorkerPoolOptions;
  /** Load timeout and budgets of `load()`. @default {} */
  control?: ModelControlOptions;
  /** Workspace folder (or its tachyon.json) whose registry serves `registry:NAME` sources. @default undefined */
  workspace?: string;
  /** Batch events of each model version's scheduler, for metrics. @default undefined */
  hooks?: (model: string, version: string) => SchedulerHooks;
  /** The request scheduler of a model loaded without one. @default ServedModel's default */
  scheduler?: SchedulerConfig;
}

export interface LoadOptions {
  /** Registry sources only: which registered versions to serve. @default the entry's last policy, else { latest: 1 } */
  versionPolicy?: VersionPolicy;
  /** This model's request scheduler. @default the name's last one, else ModelHostOptions.scheduler */
  scheduler?: SchedulerConfig;
}

/** One version to load: its number, estimated bytes and how to get a loadable source into a folder. */
interface PlannedVersion {
  version: string;
  bytes: number;
  fetch: (dir: string) => Promise<ModelSource>;
}

/**
 * The models one server process serves, by name and numeric version, all in one Backend (one thread
 * budget: a load adds sessions, never threads). `load` loads or reloads a name: new versions load and warm up while
 * the old ones keep serving, switch over at once, then the versions the policy no longer selects drain and unload.
 * Operations on one name run one after the other (a second load waits for the first); different names load at once.
 */
export class ModelHost {
  readonly #models = new Map<string, ModelEntry>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #abandoned = new Set<Promise<void>>();
  #abandonedUsage: BudgetUsage = { bytes: 0, versions: 0 };
  #loads = 0;
  #started = false;
  #closed = false;

  private constructor(
    readonly backend: Backend,
    readonly control: ModelControlConfig,
    private readonly sources: ModelSources,
    private readonly workDir: string,
    private readonly registry: RegistrySource | undefined,
    private readonly hooks: ((model: string, version: string) => SchedulerHooks) | undefined,
    private readonly scheduler: SchedulerConfig | undefined,
  ) {}

  static async create(options: ModelHostOptions): Promise<ModelHost> {
    const control = compileModelControlOptions(options.control);
    const registry = options.workspace === undefined ? undefined : await RegistrySource.open(options.workspace);
    const workDir = await mkdtemp(join(tmpdir(), 'tachyon-serve-'));
    return new ModelHost(
      createBackend(options.pool),
      control,
      options.sources,
      workDir,
      registry,
      options.hooks,
      options.scheduler,
    );
  }

  /** Whether `registry:NAME` sources (and loads by bare name) can be served. */
  get hasRegistry(): boolean {
    return this.registry !== undefined;
  }

  /**
   * Loads `name`, or reloads it with a new source or version policy, and resolves with its newest ready version once
   * every version the policy selects is ready. Without `source`: the name's current source, else `registry:<name>`.
   * All or nothing: if a version fails (or times out, or the budget refuses it) the versions served before stay.
   */
  load(name: string, source?: ModelSource | string, options: LoadOptions = {}): Promise<ServedModel> {
    if (typeof name !== 'string' || name === '') throw new TypeError('name: expected a non-empty string.');
    return this.#serial(name, () =>
      this.#load(name, typeof source === 'string' ? toModelSource(source) : source, options),
    );
  }

  /** Drains and unloads every version of `name`, or one; TCH_ERR_MODEL_NOT_FOUND when there is no such thing. */
  unload(name: string, version?: string): Promise<void> {
    return this.#serial(name, async () => {
      const entry = this.#models.get(name);
      if (!entry) throw notFound(name, this.names());
      const targets = version === undefined ? [...entry.slots] : entry.slots.filter((s) => s.version === version);
      if (version !== undefined && targets.length === 0) throw versionNotFound(name, version, this.versions(name));
      await Promise.all(targets.map((slot) => this.#release(entry, slot)));
      if (entry.slots.length === 0) this.#models.delete(name);
    });
  }

  /** `version` of `name`, or its newest ready version; TCH_ERR_MODEL_NOT_FOUND / _NOT_READY / _UNLOADING otherwise. */
  get(name: string, version?: string): ServedModel {
    const entry = this.#models.get(name);
    if (!entry) throw notFound(name, this.names());
    const anyVersion = version === undefined || version === '';
    const wanted = anyVersion ? entry.slots : entry.slots.filter((s) => s.version === version);
    const ready = wanted.filter((s) => s.state === 'READY');
    if (ready.length > 0) return ready.reduce((a, b) => (Number(b.version) >= Number(a.version) ? b : a)).model!;
    if (wanted.some((s) => s.state === 'LOADING') || (anyVersion && wanted.length === 0 && entry.failures.size > 0)) {
      const failed = !wanted.some((s) => s.state === 'LOADING');
      throw new TachyonError(
        'TCH_ERR_MODEL_NOT_READY',
        `Model "${name}" is ${failed ? 'not loaded: it failed to load' : 'still loading'}.`,
        { details: { model: name } },
      );
    }
    if (wanted.some((s) => s.state === 'UNLOADING')) {
      throw new TachyonError('TCH_ERR_MODEL_UNLOADING', `Model "${name}" is being unloaded.`, {
        details: { model: name, ...(anyVersion ? {} : { version }) },
      });
    }
    throw anyVersion ? notFound(name, this.names()) : versionNotFound(name, version, this.versions(name));
  }

  /** The ready versions of `name`, in ascending order. */
  versions(name: string): string[] {
    const slots = this.#models.get(name)?.slots.filter((s) => s.state === 'READY') ?? [];
    return [...new Set(slots.map((s) => s.version))].sort((a, b) => Number(a) - Number(b));
  }

  /** KServe model metadata of `version` (or the newest), listing every ready version. */
  metadata(name: string, version?: string): ModelMetadata {
    return { ...this.get(name, version).metadata(), versions: this.versions(name) };
  }

  /** Triton's repository index: every served version and its state, then the registry's versions not loaded. */
  async index(): Promise<RepositoryIndexEntry[]> {
    return buildRepositoryIndex(this.#models, this.registry ? await this.registry.all() : []);
  }

  /** Each loaded version's scheduler state (queue depth, sessions busy), for metrics. */
  schedulerStats(): {
    model: string;
    version: string;
    queued: number;
    running: number;
    busySlots: number;
    concurrency: number;
  }[] {
    const stats = [];
    for (const [model, entry] of this.#models) {
      for (const slot of entry.slots)
        if (slot.model) stats.push({ model, version: slot.version, ...slot.model.scheduler.stats });
    }
    return stats;
  }

  names(): string[] {
    return [...this.#models.keys()];
  }

  /**
   * With a name: whether it has a ready version. Without: during startup, whether every model has one; once
   * `markStarted()` was called the server stays ready while models come and go through the repository API.
   */
  isReady(name?: string): boolean {
    if (name !== undefined) return this.#models.get(name)?.slots.some((s) => s.state === 'READY') ?? false;
    if (this.#started) return true;
    return this.#models.size > 0 && [...this.#models.values()].every((e) => e.slots.some((s) => s.state === 'READY'));
  }

  /** The startup loads are done: from now on readiness no longer waits for models (see `isReady`). */
  markStarted(): void {
    this.#started = true;
  }

  /** Estimated bytes and versions held now: loaded, loading, unloading, and abandoned loads not yet settled. */
  usage(): BudgetUsage {
    let bytes = this.#abandonedUsage.bytes;
    let versions = this.#abandonedUsage.versions;
    for (const entry of this.#models.values()) for (const slot of entry.slots) (bytes += slot.bytes), (versions += 1);
    return { bytes, versions };
  }

  /** Settles once every load abandoned by its timeout has settled and been released. */
  async settled(): Promise<void> {
    while (this.#abandoned.size > 0) await Promise.allSettled([...this.#abandoned]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    while (this.#locks.size > 0) await Promise.allSettled([...this.#locks.values()]);
    for (const [name, entry] of this.#models) {
      await Promise.allSettled(entry.slots.map((slot) => this.#release(entry, slot)));
      this.#models.delete(name);
    }
    await this.settled();
    await this.registry?.close().catch(() => undefined);
    await this.backend.close();
    await rm(this.workDir, { recursive: true, force: true });
  }

  async #load(name: string, given: ModelSource | undefined, options: LoadOptions): Promise<ServedModel> {
    const existing = this.#models.get(name);
    const source = given ?? existing?.source ?? this.#registrySource(name);
    if (source.kind !== 'registry' && options.versionPolicy !== undefined) {
      throw new TachyonError(
        'TCH_ERR_CONFIG_INVALID',
        `Model "${name}": a version policy applies to registry sources ("registry:NAME") only.`,
        { details: { model: name } },
      );
    }
    const sameRegistryModel =
      source.kind === 'registry' && existing?.source.kind === 'registry' && existing.source.name === source.name;
    const policy = options.versionPolicy ?? (sameRegistryModel ? existing?.policy : undefined);
    const scheduler = options.scheduler ?? existing?.scheduler ?? this.scheduler;
    let fresh: VersionSlot[] = [];
    try {
      const plan = await this.#plan(source, policy ?? DEFAULT_VERSION_POLICY, sameRegistryModel ? existing : undefined);
      checkBudget(name, this.control, this.usage(), {
        bytes: plan.load.reduce((sum, p) => sum + p.bytes, 0),
        versions: plan.load.length,
      });
      const entry: ModelEntry = existing ?? {
        source,
        policy,
        scheduler,
        slots: [],
        failures: new Map<string, string>(),
      };
      if (!existing) this.#models.set(name, entry);
      fresh = plan.load.map((p) => ({
        version: p.version,
        state: 'LOADING',
        bytes: p.bytes,
        dir: join(this.workDir, `${name}.${p.version}.${++this.#loads}`),
      }));
      entry.slots.push(...fresh);
      const results = await Promise.allSettled(
        fresh.map((slot, i) => this.#loadSlot(name, slot, plan.load[i]!, scheduler)),
      );
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        results.forEach((r, i) => r.status === 'rejected' && entry.failures.set(fresh[i]!.version, reasonOf(r.reason)));
        await Promise.all(fresh.map((slot) => this.#release(entry, slot)));
        throw failure.reason;
      }
      // Every new version is warm: switch traffic at once, then drain what the policy no longer selects.
      for (const slot of fresh) slot.state = 'READY';
      entry.source = source;
      entry.policy = policy;
      entry.scheduler = scheduler;
      entry.failures.clear();
      const stale = entry.slots.filter((s) => !fresh.includes(s) && !plan.keep.includes(s));
      // The load itself succeeded: a version that fails to close is gone from routing all the same.
      await Promise.allSettled(stale.map((slot) => this.#release(entry, slot)));
      return this.get(name);
    } catch (error) {
      const entry = this.#models.get(name);
      if (entry && fresh.length === 0) entry.failures.set('', reasonOf(error));
      throw error;
    }
  }

  /** Which versions to load (and their estimated bytes), and which of those served now stay as they are. */
  async #plan(
    source: ModelSource,
    policy: VersionPolicy,
    sameModel: ModelEntry | undefined,
  ): Promise<{ load: PlannedVersion[]; keep: VersionSlot[] }> {
    const workers = this.backend.config.workers;
    if (source.kind !== 'registry') {
      const bytes = estimateBytes(await sourceBytes(source, this.sources), workers);
      return { load: [{ version: '1', bytes, fetch: async () => source }], keep: [] };
    }
    const registry = this.registry;
    if (!registry) throw this.#noRegistry(source.name);
    const selected = await registry.select(source.name, policy);
    const keep = (sameModel?.slots ?? []).filter(
      (s) => s.state === 'READY' && selected.some((r) => String(r.version) === s.version),
    );
    const load = selected
      .filter((r) => !keep.some((s) => s.version === String(r.version)))
      .map((r) => ({
        version: String(r.version),
        bytes: estimateBytes(r.size, workers),
        fetch: (dir: string) => registry.fetch(r, dir),
      }));
    return { load, keep };
  }

  async #loadSlot(
    name: string,
    slot: VersionSlot,
    planned: PlannedVersion,
    scheduler: SchedulerConfig | undefined,
  ): Promise<void> {
    const loading = (async () => {
      const source = await planned.fetch(slot.dir);
      const context = {
        sources: this.sources,
        backend: this.backend,
        workDir: slot.dir,
        ...(scheduler ? { scheduler } : {}),
        ...(this.hooks ? { hooks: this.hooks(name, slot.version) } : {}),
      };
      return ServedModel.create(name, slot.version, source, context);
    })();
    slot.model = await withLoadTimeout(
      loading,
      this.control.loadTimeoutMs,
      { model: name, version: slot.version },
      (model) => model.close(),
      (settled) => {
        // Still holding memory until it settles: keep counting it against the budget until then.
        slot.abandoned = true;
        this.#abandonedUsage = {
          bytes: this.#abandonedUsage.bytes + slot.bytes,
          versions: this.#abandonedUsage.versions + 1,
        };
        const done = settled.finally(async () => {
          this.#abandonedUsage = {
            bytes: this.#abandonedUsage.bytes - slot.bytes,
            versions: this.#abandonedUsage.versions - 1,
          };
          await rm(slot.dir, { recursive: true, force: true }).catch(() => undefined);
          this.#abandoned.delete(done);
        });
        this.#abandoned.add(done);
      },
    );
  }

  /** Stops routing to the slot, drains its admitted requests, releases its sessions and files. */
  async #release(entry: ModelEntry, slot: VersionSlot): Promise<void> {
    slot.state = 'UNLOADING';
    try {
      await slot.model?.close();
    } finally {
      entry.slots.splice(entry.slots.indexOf(slot), 1);
      // A load abandoned by its timeout still owns its folder until it settles.
      if (!slot.abandoned) await rm(slot.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  #registrySource(name: string): ModelSource {
    if (!this.registry) throw this.#noRegistry(name);
    return { kind: 'registry', name };
  }

  #noRegistry(name: string): TachyonError {
    return new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Model "${name}" has no source to load from: give one, or start the server with a workspace for "registry:NAME" sources.`,
      {
        details: { model: name },
      },
    );
  }

  /** Runs `fn` after every earlier operation on `name` has settled. */
  async #serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new TachyonError(
        'TCH_ERR_SERVER_DRAINING',
        'The server is shutting down and loads or unloads no more models.',
      );
    const run = (this.#locks.get(name) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(name) === tail) this.#locks.delete(name);
    }
  }
}
