/**
 * The model registry's database, behind one interface: embedded SQLite (default) or PostgreSQL.
 * Artifacts themselves live in a content-addressed BlobStore; a version row points at its blob by sha256.
 */
export type ArtifactKind = 'service-definition' | 'onnx';

export interface ModelVersionRecord {
  readonly name: string;
  /** 1, 2, 3, ... per name; never reused after a delete. */
  readonly version: number;
  readonly description: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  readonly sha256: string;
  readonly size: number;
  readonly kind: ArtifactKind;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
}

export interface NewModelVersion {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  sha256: string;
  size: number;
  kind: ArtifactKind;
}

/** A deployment's hold on a model version: while one exists, deleting the version is refused unless forced. */
export interface DeploymentRef {
  readonly deployment: string;
  readonly name: string;
  readonly version: number;
}

/**
 * One deployed service's desired state (the deployment controller's row, docs/deployments.md): the spec as JSON,
 * the last observed state, and the ports the service last listened on (kept across restarts).
 */
export interface DeploymentRecord {
  /** The service name (primary key). */
  readonly name: string;
  /** The compiled service spec (JSON object; the controller owns its shape). */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly state: string;
  readonly reason: string | null;
  /** 1 on insert, +1 on every change of the spec. */
  readonly generation: number;
  /** Observed runtime facts the controller keeps across restarts (e.g. the ports it picked). */
  readonly runtime: Readonly<Record<string, unknown>>;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What `putDeployment` writes: the spec, and the model version it holds (its deployment ref, same transaction). */
export interface DeploymentInput {
  name: string;
  spec: Record<string, unknown>;
  /** State written with a new row or a changed spec; an unchanged spec keeps the row as it is. */
  state: string;
  model: { name: string; version: number };
}

/** A blob being written by a process that has not yet inserted its version row (the crash-recovery journal). */
export interface PendingBlob {
  readonly sha256: string;
  readonly owner: string;
  readonly createdAt: string;
}

export interface RegistryStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Inserts the next version of `name` and clears `pendingOwner`'s journal entry for the blob, in ONE transaction;
   * concurrent callers, in any number of processes, get distinct consecutive versions.
   */
  insertVersion(input: NewModelVersion, pendingOwner?: string): Promise<ModelVersionRecord>;
  /** The given version, or the latest when `version` is undefined. */
  getVersion(name: string, version?: number): Promise<ModelVersionRecord | undefined>;
  /** All versions, ordered by name then version; optionally of one name, or carrying a tag key (and value). */
  listVersions(filter?: { name?: string; tag?: { key: string; value?: string } }): Promise<ModelVersionRecord[]>;
  /** Deletes one version; false when it did not exist. The caller checks deployment refs first. */
  deleteVersion(name: string, version: number): Promise<boolean>;
  /** Sets (and removes) tags of one version; returns the updated record. */
  updateTags(
    name: string,
    version: number,
    set: Record<string, string>,
    remove?: readonly string[],
  ): Promise<ModelVersionRecord | undefined>;
  /** sha256 of every blob a version row points at. */
  referencedBlobs(): Promise<Set<string>>;

  addDeploymentRef(ref: DeploymentRef): Promise<void>;
  removeDeploymentRef(deployment: string): Promise<void>;
  deploymentRefs(name: string, version?: number): Promise<DeploymentRef[]>;

  /**
   * Inserts or updates a deployment row and, in the SAME transaction, its deployment ref on `input.model`
   * (TCH_ERR_REGISTRY_MODEL_NOT_FOUND when that version is not registered). The generation is bumped only when the
   * spec's JSON differs from the stored one; `changed` says whether it did (an insert is a change).
   */
  putDeployment(input: DeploymentInput): Promise<{ record: DeploymentRecord; changed: boolean }>;
  getDeployment(name: string): Promise<DeploymentRecord | undefined>;
  /** Every deployment row, ordered by name. */
  listDeployments(): Promise<DeploymentRecord[]>;
  /** Records an observed state (and runtime facts, merged when given); undefined when there is no such row. */
  setDeploymentState(
    name: string,
    state: string,
    reason: string | null,
    runtime?: Record<string, unknown>,
  ): Promise<DeploymentRecord | undefined>;
  /** Deletes the row and its deployment ref in one transaction; false when there was none. */
  deleteDeployment(name: string): Promise<boolean>;

  /** Journal: a blob is about to be written by `owner` (e.g. `<hostname>:<pid>:<random>`). */
  addPendingBlob(sha256: string, owner: string): Promise<void>;
  removePendingBlob(sha256: string, owner: string): Promise<void>;
  pendingBlobs(): Promise<PendingBlob[]>;

  /**
   * Blob garbage collection under the registry's write lock (optional; added after the first version of this
   * contract, so callers fall back to a check-then-delete when a store lacks it). In ONE transaction: removes
   * `pendingOwner`'s journal entry for the blob when given; then, only when no version row references the blob and
   * no other journal entry covers it, awaits `remove()` (which deletes the file) before committing. Resolves to
   * whether `remove` ran; when `remove` throws, the transaction rolls back (the journal entry stays) and the error
   * propagates. Because `addPendingBlob` takes the same lock, a concurrent registration of the same bytes either
   * journals first (and the blob is kept) or journals after the file is gone (and writes it again).
   */
  collectBlob?(sha256: string, remove: () => Promise<void>, pendingOwner?: string): Promise<boolean>;

  /**
   * Inserts deployment rows as they are (generation, state, runtime, times) into a store with none, in one
   * transaction (`tachyon workspace migrate`; their deployment refs come with `importAll`).
   */
  importDeployments?(records: readonly DeploymentRecord[]): Promise<void>;

  /** Every row, for `tachyon workspace migrate`. */
  exportAll(): Promise<{
    versions: ModelVersionRecord[];
    deployments: DeploymentRef[];
    nextVersions: Record<string, number>;
  }>;
  /** Loads an export into an EMPTY store in one transaction (versions keep their numbers and created times). */
  importAll(data: {
    versions: ModelVersionRecord[];
    deployments: DeploymentRef[];
    nextVersions: Record<string, number>;
  }): Promise<void>;
  close(): Promise<void>;
}
