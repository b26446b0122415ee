import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TachyonError } from '@tachyon/protocol';
import { OnnxRuntimeBackend, type ModelSources, type WorkerPoolOptions } from '@tachyon/core';
import { ServedModel, type ModelSource } from './served-model.js';

/**
 * The models one server process serves, loaded into one OnnxRuntimeBackend (one thread budget). A model is
 * listed as soon as loading starts and is ready once its sessions have loaded and warmed up.
 */
export class ModelHost {
  readonly #models = new Map<string, { model?: ServedModel; loading?: Promise<ServedModel>; error?: unknown }>();

  private constructor(
    readonly backend: OnnxRuntimeBackend,
    private readonly sources: ModelSources,
    private readonly workDir: string,
  ) {}

  static async create(options: { sources: ModelSources; pool?: WorkerPoolOptions }): Promise<ModelHost> {
    return new ModelHost(new OnnxRuntimeBackend(options.pool), options.sources, await mkdtemp(join(tmpdir(), 'tachyon-serve-')));
  }

  /** Loads (and warms up) a model under `name`; rejects with the load error, which also marks the model not ready. */
  async load(name: string, source: ModelSource): Promise<ServedModel> {
    if (this.#models.has(name)) throw new TachyonError('TCH_ERR_CONFIG_INVALID', `A model named "${name}" is already served.`);
    const entry: { model?: ServedModel; loading?: Promise<ServedModel>; error?: unknown } = {};
    entry.loading = ServedModel.create(name, '1', source, { sources: this.sources, backend: this.backend, workDir: this.workDir });
    this.#models.set(name, entry);
    try {
      entry.model = await entry.loading;
      return entry.model;
    } catch (error) {
      entry.error = error;
      throw error;
    } finally {
      delete entry.loading;
    }
  }

  /** The ready model, or TCH_ERR_MODEL_NOT_FOUND / TCH_ERR_MODEL_NOT_READY. */
  get(name: string, version?: string): ServedModel {
    const entry = this.#models.get(name);
    if (!entry) throw new TachyonError('TCH_ERR_MODEL_NOT_FOUND', `No model named "${name}" is served.`, { details: { model: name, served: this.names() } });
    if (!entry.model) throw new TachyonError('TCH_ERR_MODEL_NOT_READY', `Model "${name}" is ${entry.error ? 'not loaded: it failed to load' : 'still loading'}.`, { details: { model: name } });
    entry.model.checkVersion(version);
    return entry.model;
  }

  names(): string[] {
    return [...this.#models.keys()];
  }

  isReady(name?: string): boolean {
    if (name !== undefined) return this.#models.get(name)?.model !== undefined;
    return this.#models.size > 0 && [...this.#models.values()].every((e) => e.model !== undefined);
  }

  async close(): Promise<void> {
    for (const entry of this.#models.values()) await entry.model?.close();
    this.#models.clear();
    await this.backend.close();
    await rm(this.workDir, { recursive: true, force: true });
  }
}
