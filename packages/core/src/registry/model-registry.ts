import { stat } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import { compileZipLimits, type ZipLimits } from '../service-def/zip-limits.js';
import { localBlobPath, type BlobStore, type CopyProgress } from './blob-store.js';
import { downloadBlob } from './download-blob.js';
import { sourceError } from './file-io.js';
import {
  parseModelRef,
  validateModelName,
  validateModelVersion,
  validateStringMap,
  type ModelRef,
} from './model-ref.js';
import { createOwnerId } from './process-owner.js';
import { collectBlob, recoverRegistry, type RecoveryOptions, type RecoveryReport } from './recover-registry.js';
import type { DeploymentRef, ModelVersionRecord, RegistryStore } from './registry-store.js';
import { versionNotFound } from './store-records.js';
import { validateArtifact } from './validate-artifact.js';

export interface ModelRegistryOptions {
  /** Run crash recovery (`recoverRegistry`) when the registry opens. @default true */
  recover?: boolean;
  /** TTL of abandoned journal entries, blobs and staging files. @default { ttlMs: 3_600_000 } */
  recovery?: RecoveryOptions;
  /** Caps for service-definition zips checked on register. @default ZIP_LIMITS_DEFAULTS */
  zipLimits?: ZipLimits;
}

export interface RegisterOptions {
  /** @default null */
  description?: string;
  /** Mutable labels, e.g. `{ stage: 'prod' }`. @default {} */
  tags?: Record<string, string>;
  /** Fixed at registration, e.g. `{ accuracy: '0.76' }`. @default {} */
  properties?: Record<string, string>;
  /** Bytes copied into the store so far. @default none */
  onProgress?: CopyProgress;
}

export interface DeleteOptions {
  /** Delete even while deployments use the version (their refs are removed too). @default false */
  force?: boolean;
}

/** Opens the registry logic over a store and a blob store; runs crash recovery first unless `recover: false`. */
export async function createModelRegistry(
  store: RegistryStore,
  blobs: BlobStore,
  options: ModelRegistryOptions = {},
): Promise<ModelRegistry> {
  const registry = new ModelRegistry(store, blobs, options);
  if (options.recover !== false) await registry.recover();
  return registry;
}

/**
 * Registered models: integer versions per name, content-addressed artifacts. Register = stage + hash the file,
 * validate it (service-definition zip or ONNX), journal the blob, commit it, then insert the version row and clear
 * the journal in one transaction; a crash anywhere leaves nothing after the next recovery.
 */
export class ModelRegistry {
  readonly store: RegistryStore;
  readonly blobs: BlobStore;
  /** This registry's journal owner id, `<hostname>:<pid>:<random>`. */
  readonly owner: string;
  readonly #options: ModelRegistryOptions;

  constructor(store: RegistryStore, blobs: BlobStore, options: ModelRegistryOptions = {}) {
    if (typeof store !== 'object' || store === null) throw new TypeError('store must be a RegistryStore.');
    if (typeof blobs !== 'object' || blobs === null) throw new TypeError('blobs must be a BlobStore.');
    this.store = store;
    this.blobs = blobs;
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
    const ttlMs = options.recovery?.ttlMs;
    if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs < 0))
      throw new RangeError('options.recovery.ttlMs must be a non-negative number.');
    this.owner = createOwnerId();
    // Checked now, so a bad cap is reported at open and not at the first registration.
    this.#options = Object.freeze({ ...options, zipLimits: compileZipLimits(options.zipLimits) });
  }

  recover(options: RecoveryOptions = this.#options.recovery ?? {}): Promise<RecoveryReport> {
    return recoverRegistry(this.store, this.blobs, options);
  }

  /** Registers `path` as the next version of `name`. */
  async register(path: string, name: string, options: RegisterOptions = {}): Promise<ModelVersionRecord> {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string.');
    validateModelName(name);
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
    const { description } = options;
    if (description !== undefined && typeof description !== 'string')
      throw new TypeError('options.description must be a string.');
    const tags = validateStringMap(options.tags, 'options.tags');
    const properties = validateStringMap(options.properties, 'options.properties');
    const source = await stat(path).catch((cause: unknown) => {
      throw sourceError(path, cause);
    });
    if (!source.isFile()) throw sourceError(path, Object.assign(new Error('not a file'), { code: 'EISDIR' }));

    const staged = await this.blobs.stage(
      path,
      options.onProgress === undefined ? {} : { onProgress: options.onProgress },
    );
    try {
      const kind = await validateArtifact(staged.path, { displayPath: path, zipLimits: this.#options.zipLimits });
      await this.store.addPendingBlob(staged.sha256, this.owner);
      try {
        await staged.commit();
        if (process.env['TACHYON_TEST_CRASH_AFTER_BLOB'] === '1') await crashForTest();
        return await this.store.insertVersion(
          {
            name,
            ...(description === undefined ? {} : { description }),
            tags: { ...tags },
            properties: { ...properties },
            sha256: staged.sha256,
            size: staged.size,
            kind,
          },
          this.owner,
        );
      } catch (error) {
        // Undo the journal entry and, unless other versions share the bytes, the blob; recovery retries on failure.
        await collectBlob(this.store, this.blobs, staged.sha256, this.owner).catch(() => undefined);
        throw error;
      }
    } finally {
      await staged.discard();
    }
  }

  /** The version named by `ref` (`name` for the latest, or `name:version`), or `version` of `ref`; NOT_FOUND otherwise. */
  async get(ref: string, version?: number): Promise<ModelVersionRecord> {
    const r = resolveRef(ref, version);
    const record = await this.store.getVersion(r.name, r.version);
    if (record === undefined) throw versionNotFound(r.name, r.version);
    return record;
  }

  /** Like `get`, but undefined when there is no such version. */
  async find(ref: string, version?: number): Promise<ModelVersionRecord | undefined> {
    const r = resolveRef(ref, version);
    return this.store.getVersion(r.name, r.version);
  }

  /** Every version ordered by name then version; optionally one name's, or those carrying a tag (with a value). */
  list(filter: { name?: string; tag?: { key: string; value?: string } } = {}): Promise<ModelVersionRecord[]> {
    if (typeof filter !== 'object' || filter === null) throw new TypeError('filter must be an object.');
    if (filter.name !== undefined) validateModelName(filter.name);
    return this.store.listVersions(filter);
  }

  /** Writes the artifact of `ref` to `out` (a file, or a folder to put `<name>-<version>.<zip|onnx>` in), atomically. */
  async download(
    ref: string,
    out: string,
    options: { version?: number; onProgress?: CopyProgress } = {},
  ): Promise<{ path: string; record: ModelVersionRecord }> {
    if (typeof out !== 'string' || out === '') throw new TypeError('out must be a non-empty string.');
    const record = await this.get(ref, options.version);
    return { path: await downloadBlob(this.blobs, record, out, options.onProgress), record };
  }

  /** The blob of a version on the local file system (for onnxruntime). */
  artifactPath(record: ModelVersionRecord): string {
    return this.blobs.localPath(record.sha256);
  }

  /**
   * Deletes one version (`name:version`, or `version` given) or, with a bare name, EVERY version of it. Refused with
   * TCH_ERR_REGISTRY_IN_USE while a deployment uses one, unless `force` (which removes those refs). A blob is deleted
   * once no version references it; one that cannot be deleted now is swept by a later recovery. Returns the deleted.
   */
  async delete(ref: string, version?: number, options: DeleteOptions = {}): Promise<ModelVersionRecord[]> {
    const r = resolveRef(ref, version);
    const targets =
      r.version === undefined ? await this.store.listVersions({ name: r.name }) : [await this.get(r.name, r.version)];
    if (targets.length === 0) throw versionNotFound(r.name, r.version);
    const refs = await this.store.deploymentRefs(r.name, r.version);
    if (refs.length > 0 && options.force !== true) throw inUse(r, refs);
    for (const dep of refs) await this.store.removeDeploymentRef(dep.deployment);
    const deleted: ModelVersionRecord[] = [];
    for (const target of targets) if (await this.store.deleteVersion(target.name, target.version)) deleted.push(target);
    for (const sha256 of new Set(deleted.map((d) => d.sha256))) {
      await collectBlob(this.store, this.blobs, sha256).catch(() => undefined);
    }
    return deleted;
  }

  /** Sets and removes tags of one version (`version` undefined: the latest); returns the updated record. */
  async tag(
    ref: string,
    version: number | undefined,
    set: Record<string, string> = {},
    remove: readonly string[] = [],
  ): Promise<ModelVersionRecord> {
    const validSet = validateStringMap(set, 'set');
    if (!Array.isArray(remove) || !remove.every((k) => typeof k === 'string'))
      throw new TypeError('remove must be an array of strings.');
    const record = await this.get(ref, version);
    const updated = await this.store.updateTags(record.name, record.version, { ...validSet }, remove);
    if (updated === undefined) throw versionNotFound(record.name, record.version);
    return updated;
  }

  /** Records that a deployment uses a version (the controller's hold; see `delete`). */
  addDeploymentRef(ref: DeploymentRef): Promise<void> {
    return this.store.addDeploymentRef(ref);
  }

  removeDeploymentRef(deployment: string): Promise<void> {
    return this.store.removeDeploymentRef(deployment);
  }

  /** Like `artifactPath`, but first fetches the blob into the local cache when the store keeps it elsewhere. */
  localArtifactPath(record: ModelVersionRecord): Promise<string> {
    return localBlobPath(this.blobs, record.sha256);
  }

  async close(): Promise<void> {
    try {
      await this.store.close();
    } finally {
      await this.blobs.close?.();
    }
  }
}

function resolveRef(ref: string, version: number | undefined): ModelRef {
  if (version === undefined) return parseModelRef(ref);
  return { name: validateModelName(ref), version: validateModelVersion(version) };
}

function inUse(ref: ModelRef, refs: readonly DeploymentRef[]): TachyonError {
  const what = ref.version === undefined ? `"${ref.name}"` : `"${ref.name}:${ref.version}"`;
  const names = refs.map((d) => `"${d.deployment}"`).join(', ');
  return new TachyonError(
    'TCH_ERR_REGISTRY_IN_USE',
    `Model ${what} is used by deployment${refs.length > 1 ? 's' : ''} ${names}; delete ${refs.length > 1 ? 'them' : 'it'} first or force the deletion.`,
    {
      details: {
        name: ref.name,
        ...(ref.version === undefined ? {} : { version: ref.version }),
        deployments: refs.map((d) => ({ ...d })),
      },
    },
  );
}

/**
 * TEST-ONLY crash point (TACHYON_TEST_CRASH_AFTER_BLOB=1): the process kills itself with SIGKILL after the blob
 * is committed and before its version row is inserted, as a power cut or OOM kill would. Never set it otherwise.
 */
async function crashForTest(): Promise<never> {
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => undefined);
}
