import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { TachyonError } from '@tachyon-serve/protocol';
import { validateModelName, validateModelVersion, validateStringMap } from '../model-ref.js';
import type {
  DeploymentInput,
  DeploymentRecord,
  DeploymentRef,
  ModelVersionRecord,
  NewModelVersion,
  PendingBlob,
  RegistryStore,
} from '../registry-store.js';
import {
  checkDeploymentInput,
  checkDeploymentName,
  checkDeploymentRef,
  checkDeploymentState,
  checkNewModelVersion,
  versionNotFound,
} from '../store-records.js';
import { SqliteDeploymentRows } from './sqlite-deployment-rows.js';
import { applySqliteMigrations } from './sqlite-migrations.js';
import { SqliteRows, type RegistryExport } from './sqlite-rows.js';

export interface SqliteRegistryStoreOptions {
  /** How long a write waits for another process's write lock before failing (SQLite busy_timeout). @default 10000 */
  busyTimeoutMs?: number;
}

const SQLITE_DEFAULTS = Object.freeze({ busyTimeoutMs: 10_000 });

/**
 * Opens (creating if needed) an embedded SQLite registry: WAL journal, busy_timeout, foreign keys, synchronous
 * FULL, and every pending migration applied in one IMMEDIATE transaction. better-sqlite3 only loads here.
 */
export async function createSqliteRegistryStore(
  file: string,
  options: SqliteRegistryStoreOptions = {},
): Promise<SqliteRegistryStore> {
  if (typeof file !== 'string' || file === '') throw new TypeError('file must be a non-empty string.');
  const busyTimeoutMs = options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0)
    throw new RangeError('options.busyTimeoutMs must be a non-negative integer.');
  const memory = file === ':memory:';
  if (!memory) {
    try {
      await mkdir(dirname(file), { recursive: true });
    } catch (cause) {
      throw sqliteError(file, 'create its folder', cause);
    }
  }
  const { default: Sqlite } = await import('better-sqlite3');
  let db: Database.Database | undefined;
  try {
    db = new Sqlite(file);
    // busy_timeout first: switching to WAL and migrating both wait for other openers.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    applySqliteMigrations(db, file);
  } catch (cause) {
    db?.close();
    throw sqliteError(file, 'open', cause);
  }
  return new SqliteRegistryStore(db, file);
}

/** RegistryStore on one better-sqlite3 connection. Calls are serialized, so `collectBlob` can await inside its transaction. */
export class SqliteRegistryStore implements RegistryStore {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #rows: SqliteRows;
  readonly #deployments: SqliteDeploymentRows;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.file = file;
    this.#rows = new SqliteRows(db);
    this.#deployments = new SqliteDeploymentRows(db);
  }

  /** Applied migrations, oldest first. */
  migrations(): Promise<{ version: number; name: string; appliedAt: string }[]> {
    return this.#run(
      'read migrations',
      () =>
        this.#db.prepare('SELECT version, name, applied_at AS appliedAt FROM migrations ORDER BY version').all() as {
          version: number;
          name: string;
          appliedAt: string;
        }[],
    );
  }

  insertVersion(input: NewModelVersion, pendingOwner?: string): Promise<ModelVersionRecord> {
    checkNewModelVersion(input);
    return this.#run('insert a version', () =>
      this.#db.transaction(() => this.#rows.insertVersion(input, pendingOwner)).immediate(),
    );
  }

  getVersion(name: string, version?: number): Promise<ModelVersionRecord | undefined> {
    validateModelName(name);
    if (version !== undefined) validateModelVersion(version);
    return this.#run('read a version', () => this.#db.transaction(() => this.#rows.getVersion(name, version))());
  }

  listVersions(filter: { name?: string; tag?: { key: string; value?: string } } = {}): Promise<ModelVersionRecord[]> {
    if (filter.name !== undefined) validateModelName(filter.name);
    return this.#run('list versions', () => this.#db.transaction(() => this.#rows.listVersions(filter))());
  }

  deleteVersion(name: string, version: number): Promise<boolean> {
    validateModelName(name);
    validateModelVersion(version);
    return this.#run('delete a version', () => this.#rows.deleteVersion(name, version));
  }

  updateTags(
    name: string,
    version: number,
    set: Record<string, string>,
    remove: readonly string[] = [],
  ): Promise<ModelVersionRecord | undefined> {
    validateModelName(name);
    validateModelVersion(version);
    validateStringMap(set, 'set');
    if (!Array.isArray(remove) || !remove.every((k) => typeof k === 'string'))
      throw new TypeError('remove must be an array of strings.');
    return this.#run('update tags', () =>
      this.#db.transaction(() => this.#rows.updateTags(name, version, set, remove)).immediate(),
    );
  }

  referencedBlobs(): Promise<Set<string>> {
    return this.#run('list referenced blobs', () => this.#rows.referencedBlobs());
  }

  addDeploymentRef(ref: DeploymentRef): Promise<void> {
    checkDeploymentRef(ref);
    return this.#run('add a deployment ref', () =>
      this.#db
        .transaction(() => {
          if (this.#rows.getVersion(ref.name, ref.version) === undefined) throw versionNotFound(ref.name, ref.version);
          this.#rows.upsertDeploymentRef(ref);
        })
        .immediate(),
    );
  }

  removeDeploymentRef(deployment: string): Promise<void> {
    if (typeof deployment !== 'string') throw new TypeError('deployment must be a string.');
    return this.#run('remove a deployment ref', () => void this.#rows.deleteDeploymentRef(deployment));
  }

  deploymentRefs(name: string, version?: number): Promise<DeploymentRef[]> {
    validateModelName(name);
    if (version !== undefined) validateModelVersion(version);
    return this.#run('list deployment refs', () => this.#rows.deploymentRefs(name, version));
  }

  putDeployment(input: DeploymentInput): Promise<{ record: DeploymentRecord; changed: boolean }> {
    checkDeploymentInput(input);
    return this.#run('write a deployment', () => this.#db.transaction(() => this.#deployments.put(input)).immediate());
  }

  getDeployment(name: string): Promise<DeploymentRecord | undefined> {
    checkDeploymentName(name);
    return this.#run('read a deployment', () => this.#deployments.get(name));
  }

  listDeployments(): Promise<DeploymentRecord[]> {
    return this.#run('list deployments', () => this.#deployments.list());
  }

  setDeploymentState(
    name: string,
    state: string,
    reason: string | null,
    runtime?: Record<string, unknown>,
  ): Promise<DeploymentRecord | undefined> {
    checkDeploymentName(name);
    checkDeploymentState(state);
    if (reason !== null && typeof reason !== 'string') throw new TypeError('reason must be a string or null.');
    return this.#run('record a deployment state', () =>
      this.#db.transaction(() => this.#deployments.setState(name, state, reason, runtime)).immediate(),
    );
  }

  deleteDeployment(name: string): Promise<boolean> {
    checkDeploymentName(name);
    return this.#run('delete a deployment', () =>
      this.#db.transaction(() => this.#deployments.delete(name)).immediate(),
    );
  }

  addPendingBlob(sha256: string, owner: string): Promise<void> {
    checkPending(sha256, owner);
    return this.#run('journal a pending blob', () => this.#rows.addPendingBlob(sha256, owner));
  }

  removePendingBlob(sha256: string, owner: string): Promise<void> {
    checkPending(sha256, owner);
    return this.#run('clear a pending blob', () => this.#rows.removePendingBlob(sha256, owner));
  }

  pendingBlobs(): Promise<PendingBlob[]> {
    return this.#run('list pending blobs', () => this.#rows.pendingBlobs());
  }

  collectBlob(sha256: string, remove: () => Promise<void>, pendingOwner?: string): Promise<boolean> {
    checkPending(sha256, pendingOwner ?? 'none');
    if (typeof remove !== 'function') throw new TypeError('remove must be a function.');
    return this.#run('collect a blob', async () => {
      // By hand, not db.transaction(): the file deletion is awaited while the write lock is held.
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        if (pendingOwner !== undefined) this.#rows.removePendingBlob(sha256, pendingOwner);
        const used = this.#rows.blobInUse(sha256);
        if (!used) await remove();
        this.#db.exec('COMMIT');
        return !used;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  exportAll(): Promise<RegistryExport> {
    return this.#run('export the registry', () => this.#db.transaction(() => this.#rows.exportAll())());
  }

  importAll(data: RegistryExport): Promise<void> {
    if (
      typeof data !== 'object' ||
      data === null ||
      !Array.isArray(data.versions) ||
      !Array.isArray(data.deployments)
    ) {
      throw new TypeError('data must be { versions, deployments, nextVersions }.');
    }
    for (const v of data.versions) checkNewModelVersion(v);
    for (const d of data.deployments) checkDeploymentRef(d);
    return this.#run('import into the registry', () =>
      this.#db
        .transaction(() => {
          if (!this.#rows.isEmpty()) {
            throw new TachyonError(
              'TCH_ERR_REGISTRY_DATABASE_FAILED',
              `Registry database "${this.file}" is not empty; an import needs an empty registry.`,
              {
                details: { file: this.file },
              },
            );
          }
          this.#rows.importAll(data);
        })
        .immediate(),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    this.#db.close();
  }

  /** Serializes every call on the connection and maps driver failures to TCH_ERR_REGISTRY_DATABASE_FAILED. */
  #run<T>(action: string, fn: () => T | Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new TypeError('The registry store is closed.'));
    const result = this.#tail.then(async () => {
      try {
        return await fn();
      } catch (cause) {
        throw sqliteError(this.file, action, cause);
      }
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

function checkPending(sha256: string, owner: string): void {
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    throw new RangeError('sha256 must be 64 lowercase hex digits.');
  if (typeof owner !== 'string' || owner === '') throw new TypeError('owner must be a non-empty string.');
}

export function sqliteError(file: string, action: string, cause: unknown): Error {
  if (cause instanceof TachyonError || cause instanceof TypeError || cause instanceof RangeError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const reason = cause instanceof Error ? cause.message.replace(/\.$/, '') : String(cause);
  return new TachyonError(
    'TCH_ERR_REGISTRY_DATABASE_FAILED',
    `SQLite registry "${file}" failed to ${action}: ${reason}.`,
    {
      details: { registry: file, action, ...(typeof code === 'string' ? { sqliteCode: code } : {}) },
      cause,
    },
  );
}
