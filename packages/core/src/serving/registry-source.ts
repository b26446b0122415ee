import { mkdir } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import { locateWorkspaceConfig } from '../registry/workspace.js';
import { openRegistry } from '../registry/open-registry.js';
import { validateModelName } from '../registry/model-ref.js';
import { type ModelRegistry } from '../registry/model-registry.js';
import { type ModelVersionRecord } from '../registry/registry-store.js';
import type { VersionPolicy } from './model-control-options.js';
import { toModelSource, type ModelSource } from './served-model.js';

/**
 * The workspace registry as a source of served versions: which registered versions a version policy selects, and
 * each version's artifact (service-definition zip or .onnx) copied out of the blob store for loading.
 */
export class RegistrySource {
  private constructor(readonly registry: ModelRegistry) {}

  /** Opens the registry of the workspace at `workspace` (the folder holding tachyon.json, or the file). */
  static async open(workspace: string): Promise<RegistrySource> {
    return new RegistrySource(await openRegistry(locateWorkspaceConfig(workspace)));
  }

  /** Every registered version of every model, by name then version. */
  all(): Promise<ModelVersionRecord[]> {
    return this.registry.list();
  }

  /**
   * The versions of `name` the policy selects, oldest first: `{latest: N}` the N highest registered, `{specific}`
   * exactly those (each must be registered). TCH_ERR_REGISTRY_MODEL_NOT_FOUND when nothing (or a named one) is there.
   */
  async select(name: string, policy: VersionPolicy): Promise<ModelVersionRecord[]> {
    validateModelName(name);
    const records = (await this.registry.list({ name })).sort((a, b) => a.version - b.version);
    if (records.length === 0) {
      throw new TachyonError('TCH_ERR_REGISTRY_MODEL_NOT_FOUND', `No registered model "${name}".`, {
        details: { name },
      });
    }
    if ('latest' in policy) return records.slice(-policy.latest);
    const byVersion = new Map(records.map((r) => [String(r.version), r]));
    const missing = policy.specific.filter((v) => !byVersion.has(v));
    if (missing.length > 0) {
      throw new TachyonError(
        'TCH_ERR_REGISTRY_MODEL_NOT_FOUND',
        `Model "${name}" has no registered version ${missing.map((v) => `"${v}"`).join(', ')}.`,
        {
          details: { name, missing, registered: records.map((r) => String(r.version)) },
        },
      );
    }
    return [...new Set(policy.specific)].map((v) => byVersion.get(v)!).sort((a, b) => a.version - b.version);
  }

  /** Copies the artifact of `record` into the folder `dir` (made if missing) and returns it as a loadable source. */
  async fetch(record: ModelVersionRecord, dir: string): Promise<ModelSource> {
    await mkdir(dir, { recursive: true });
    const { path } = await this.registry.download(record.name, dir, { version: record.version });
    return toModelSource(path);
  }

  close(): Promise<void> {
    return this.registry.close();
  }
}
