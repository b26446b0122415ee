import type { Pool, PoolClient, QueryResultRow } from 'pg';
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
import { DEPLOYMENT_COLUMNS, putDeploymentRows, toDeploymentRecord, type DeploymentRow } from './deployment-rows.js';
import { databaseError } from './database-error.js';
import { checkRegistryExport, importRegistryRows, type RegistryExport } from './import-rows.js';
import {
  VERSION_COLUMNS,
  checkPending,
  toDeploymentRef,
  toPendingBlob,
  toVersionRecord,
  type RefRow,
  type VersionRow,
} from './version-rows.js';

/**
 * Transaction-scoped advisory lock of one blob (the two-int form, a key space apart from the migration lock):
 * taken by addPendingBlob and collectBlob, so journaling a blob and collecting it never interleave.
 */
const BLOB_LOCK = 'SELECT pg_advisory_xact_lock(7311, hashtext($1))';

/**
 * The registry in PostgreSQL. Every method is one statement or one transaction; version numbers come from
 * model_counters, bumped by an upsert in the same transaction as the version row, so concurrent registrations
 * from any number of processes and hosts get distinct consecutive versions and a deleted version is never reused.
 */
export class PostgresRegistryStore implements RegistryStore {
  readonly kind = 'postgres' as const;
  #closed = false;

  /** Use `createPostgresRegistryStore`, which also migrates the schema. */
  constructor(
    private readonly pool: Pool,
    /** The credential-free URL, for messages. */
    readonly registry: string,
    private readonly secrets: readonly string[],
  ) {}

  async insertVersion(input: NewModelVersion, pendingOwner?: string): Promise<ModelVersionRecord> {
    checkNewModelVersion(input);
    if (pendingOwner !== undefined) checkPending(input.sha256, pendingOwner);
    return this.transaction('insert a version', async (client) => {
      // The row lock taken by the upsert serializes registrations of one name until COMMIT; a rollback gives the
      // number back, so versions stay consecutive.
      const counter = await client.query<{ version: number }>(
        `INSERT INTO model_counters (name, next) VALUES ($1, 2)
         ON CONFLICT (name) DO UPDATE SET next = model_counters.next + 1
         RETURNING next - 1 AS version`,
        [input.name],
      );
      const inserted = await client.query<VersionRow>(
        `INSERT INTO model_versions (name, version, description, tags, properties, sha256, size, kind, created_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, date_trunc('milliseconds', clock_timestamp()))
         RETURNING ${VERSION_COLUMNS}`,
        [
          input.name,
          counter.rows[0]!.version,
          input.description ?? null,
          JSON.stringify(input.tags ?? {}),
          JSON.stringify(input.properties ?? {}),
          input.sha256,
          input.size,
          input.kind,
        ],
      );
      if (pendingOwner !== undefined)
        await client.query('DELETE FROM pending_blobs WHERE sha256 = $1 AND owner = $2', [input.sha256, pendingOwner]);
      return toVersionRecord(inserted.rows[0]!);
    });
  }

  async getVersion(name: string, version?: number): Promise<ModelVersionRecord | undefined> {
    validateModelName(name);
    if (version !== undefined) validateModelVersion(version);
    const { rows } =
      version === undefined
        ? await this.query<VersionRow>(
            'read a version',
            `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE name = $1 ORDER BY version DESC LIMIT 1`,
            [name],
          )
        : await this.query<VersionRow>(
            'read a version',
            `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE name = $1 AND version = $2`,
            [name, version],
          );
    return rows[0] === undefined ? undefined : toVersionRecord(rows[0]);
  }

  async listVersions(
    filter: { name?: string; tag?: { key: string; value?: string } } = {},
  ): Promise<ModelVersionRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.name !== undefined) {
      params.push(validateModelName(filter.name));
      where.push(`name = $${params.length}`);
    }
    if (filter.tag !== undefined) {
      const { key, value } = filter.tag;
      if (typeof key !== 'string' || (value !== undefined && typeof value !== 'string'))
        throw new TypeError('filter.tag must be { key: string, value?: string }.');
      // Both forms use the GIN index on tags.
      params.push(value === undefined ? key : JSON.stringify({ [key]: value }));
      where.push(value === undefined ? `tags ? $${params.length}::text` : `tags @> $${params.length}::jsonb`);
    }
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    const sql = `SELECT ${VERSION_COLUMNS} FROM model_versions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name COLLATE "C", version`;
    const { rows } = await this.query<VersionRow>('list versions', sql, params);
    return rows.map(toVersionRecord);
  }

  async deleteVersion(name: string, version: number): Promise<boolean> {
    validateModelName(name);
    validateModelVersion(version);
    // Deployment refs go with the row (ON DELETE CASCADE); the registry refuses unforced deletes of used versions.
    const result = await this.query('delete a version', 'DELETE FROM model_versions WHERE name = $1 AND version = $2', [
      name,
      version,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async updateTags(
    name: string,
    version: number,
    set: Record<string, string>,
    remove: readonly string[] = [],
  ): Promise<ModelVersionRecord | undefined> {
    validateModelName(name);
    validateModelVersion(version);
    const toSet = validateStringMap(set, 'set');
    if (!Array.isArray(remove) || !remove.every((k) => typeof k === 'string'))
      throw new TypeError('remove must be an array of strings.');
    // Removals first, then sets: a key in both ends up set (as in the SQLite store).
    const { rows } = await this.query<VersionRow>(
      'update tags',
      `UPDATE model_versions SET tags = (tags - $3::text[]) || $4::jsonb WHERE name = $1 AND version = $2 RETURNING ${VERSION_COLUMNS}`,
      [name, version, [...remove], JSON.stringify(toSet)],
    );
    return rows[0] === undefined ? undefined : toVersionRecord(rows[0]);
  }

  async referencedBlobs(): Promise<Set<string>> {
    const { rows } = await this.query<{ sha256: string }>(
      'list referenced blobs',
      'SELECT DISTINCT sha256 FROM model_versions',
    );
    return new Set(rows.map((r) => r.sha256));
  }

  async addDeploymentRef(ref: DeploymentRef): Promise<void> {
    checkDeploymentRef(ref);
    await this.transaction('add a deployment ref', async (client) => {
      // FOR KEY SHARE: the version cannot be deleted between this check and the insert.
      const found = await client.query('SELECT 1 FROM model_versions WHERE name = $1 AND version = $2 FOR KEY SHARE', [
        ref.name,
        ref.version,
      ]);
      if (found.rowCount === 0) throw versionNotFound(ref.name, ref.version);
      await client.query(
        `INSERT INTO deployment_refs (deployment, name, version) VALUES ($1, $2, $3)
         ON CONFLICT (deployment) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version`,
        [ref.deployment, ref.name, ref.version],
      );
    });
  }

  async removeDeploymentRef(deployment: string): Promise<void> {
    if (typeof deployment !== 'string') throw new TypeError('deployment must be a string.');
    await this.query('remove a deployment ref', 'DELETE FROM deployment_refs WHERE deployment = $1', [deployment]);
  }

  async deploymentRefs(name: string, version?: number): Promise<DeploymentRef[]> {
    validateModelName(name);
    if (version !== undefined) validateModelVersion(version);
    const { rows } =
      version === undefined
        ? await this.query<RefRow>(
            'list deployment refs',
            'SELECT deployment, name, version FROM deployment_refs WHERE name = $1 ORDER BY deployment COLLATE "C"',
            [name],
          )
        : await this.query<RefRow>(
            'list deployment refs',
            'SELECT deployment, name, version FROM deployment_refs WHERE name = $1 AND version = $2 ORDER BY deployment COLLATE "C"',
            [name, version],
          );
    return rows.map(toDeploymentRef);
  }

  async putDeployment(input: DeploymentInput): Promise<{ record: DeploymentRecord; changed: boolean }> {
    checkDeploymentInput(input);
    return this.transaction('write a deployment', (client) => putDeploymentRows(client, input));
  }

  async getDeployment(name: string): Promise<DeploymentRecord | undefined> {
    checkDeploymentName(name);
    const { rows } = await this.query<DeploymentRow>(
      'read a deployment',
      `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments WHERE name = $1`,
      [name],
    );
    return rows[0] === undefined ? undefined : toDeploymentRecord(rows[0]);
  }

  async listDeployments(): Promise<DeploymentRecord[]> {
    const { rows } = await this.query<DeploymentRow>(
      'list deployments',
      `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments ORDER BY name COLLATE "C"`,
    );
    return rows.map(toDeploymentRecord);
  }

  async setDeploymentState(
    name: string,
    state: string,
    reason: string | null,
    runtime?: Record<string, unknown>,
  ): Promise<DeploymentRecord | undefined> {
    checkDeploymentName(name);
    checkDeploymentState(state);
    if (reason !== null && typeof reason !== 'string') throw new TypeError('reason must be a string or null.');
    const { rows } = await this.query<DeploymentRow>(
      'record a deployment state',
      `UPDATE deployments SET state = $2, reason = $3, runtime = runtime || $4::jsonb, updated_at = date_trunc('milliseconds', clock_timestamp())
       WHERE name = $1 RETURNING ${DEPLOYMENT_COLUMNS}`,
      [name, state, reason, JSON.stringify(runtime ?? {})],
    );
    return rows[0] === undefined ? undefined : toDeploymentRecord(rows[0]);
  }

  async deleteDeployment(name: string): Promise<boolean> {
    checkDeploymentName(name);
    return this.transaction('delete a deployment', async (client) => {
      await client.query('DELETE FROM deployment_refs WHERE deployment = $1', [name]);
      const result = await client.query('DELETE FROM deployments WHERE name = $1', [name]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  async addPendingBlob(sha256: string, owner: string): Promise<void> {
    checkPending(sha256, owner);
    await this.transaction('journal a pending blob', async (client) => {
      await client.query(BLOB_LOCK, [sha256]);
      await client.query(
        `INSERT INTO pending_blobs (sha256, owner, created_at) VALUES ($1, $2, date_trunc('milliseconds', clock_timestamp()))
         ON CONFLICT (sha256, owner) DO NOTHING`,
        [sha256, owner],
      );
    });
  }

  async removePendingBlob(sha256: string, owner: string): Promise<void> {
    checkPending(sha256, owner);
    await this.query('clear a pending blob', 'DELETE FROM pending_blobs WHERE sha256 = $1 AND owner = $2', [
      sha256,
      owner,
    ]);
  }

  async pendingBlobs(): Promise<PendingBlob[]> {
    const { rows } = await this.query<{ sha256: string; owner: string; created_at: Date }>(
      'list pending blobs',
      'SELECT sha256, owner, created_at FROM pending_blobs ORDER BY created_at, sha256 COLLATE "C", owner COLLATE "C"',
    );
    return rows.map(toPendingBlob);
  }

  async collectBlob(sha256: string, remove: () => Promise<void>, pendingOwner?: string): Promise<boolean> {
    checkPending(sha256, pendingOwner ?? 'none');
    if (typeof remove !== 'function') throw new TypeError('remove must be a function.');
    return this.transaction('collect a blob', async (client) => {
      await client.query(BLOB_LOCK, [sha256]);
      if (pendingOwner !== undefined)
        await client.query('DELETE FROM pending_blobs WHERE sha256 = $1 AND owner = $2', [sha256, pendingOwner]);
      // ONE statement, so a registration committing its row and clearing its journal in between cannot be missed.
      const { rows } = await client.query<{ used: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM model_versions WHERE sha256 = $1) OR EXISTS (SELECT 1 FROM pending_blobs WHERE sha256 = $1) AS used',
        [sha256],
      );
      if (rows[0]!.used) return false;
      try {
        await remove();
      } catch (error) {
        throw new CallerError(error);
      }
      return true;
    });
  }

  async exportAll(): Promise<RegistryExport> {
    // One snapshot for all three tables, so an export taken while others write is still consistent.
    return this.transaction('export the registry', async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const versions = await client.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM model_versions ORDER BY name COLLATE "C", version`,
      );
      const deployments = await client.query<RefRow>(
        'SELECT deployment, name, version FROM deployment_refs ORDER BY deployment COLLATE "C"',
      );
      const counters = await client.query<{ name: string; next: number }>(
        'SELECT name, next FROM model_counters ORDER BY name COLLATE "C"',
      );
      return {
        versions: versions.rows.map(toVersionRecord),
        deployments: deployments.rows.map(toDeploymentRef),
        nextVersions: Object.fromEntries(counters.rows.map((r) => [r.name, r.next])),
      };
    });
  }

  async importAll(data: RegistryExport): Promise<void> {
    checkRegistryExport(data);
    await this.transaction('import into the registry', (client) => importRegistryRows(client, data, this.registry));
  }

  async importDeployments(records: readonly DeploymentRecord[]): Promise<void> {
    for (const r of records) checkDeploymentName(r.name);
    await this.transaction('import deployment rows', async (client) => {
      await client.query('LOCK TABLE deployments IN EXCLUSIVE MODE');
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM deployments');
      if (Number(rows[0]!.n) > 0) {
        throw new CallerError(
          new TachyonError(
            'TCH_ERR_REGISTRY_DATABASE_FAILED',
            `PostgreSQL registry "${this.registry}" already has deployment rows; an import needs none.`,
            { details: { registry: this.registry } },
          ),
        );
      }
      await client.query(
        `INSERT INTO deployments (name, spec, state, reason, generation, runtime, created_at, updated_at)
         SELECT name, spec, state, reason, generation, runtime, created_at::timestamptz, updated_at::timestamptz
         FROM jsonb_to_recordset($1::jsonb) AS r(name text, spec jsonb, state text, reason text, generation integer, runtime jsonb,
                                                  created_at text, updated_at text)`,
        [
          JSON.stringify(
            records.map((r) => ({
              name: r.name,
              spec: r.spec,
              state: r.state,
              reason: r.reason,
              generation: r.generation,
              runtime: r.runtime,
              created_at: r.createdAt,
              updated_at: r.updatedAt,
            })),
          ),
        ],
      );
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }

  private async query<R extends QueryResultRow = QueryResultRow>(action: string, sql: string, params: unknown[] = []) {
    this.checkOpen();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw databaseError(this.registry, action, error, this.secrets);
    }
  }

  /**
   * Runs `body` between BEGIN and COMMIT on one pooled connection, rolling back on any error. Driver failures become
   * TCH_ERR_REGISTRY_DATABASE_FAILED; an error of caller code (collectBlob's `remove`) propagates as it is.
   */
  private async transaction<T>(action: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    this.checkOpen();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw databaseError(this.registry, action, error, this.secrets);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (error instanceof CallerError) throw error.error;
      throw databaseError(this.registry, action, error, this.secrets);
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than return it to the pool.
      client.release(broken ? true : undefined);
    }
  }

  private checkOpen(): void {
    if (this.#closed) throw new TypeError('The registry store is closed.');
  }
}

/** Carries an error of caller code out of a transaction body unwrapped. */
class CallerError {
  constructor(readonly error: unknown) {}
}
