import type { PoolClient } from 'pg';

/** One schema step. Ids are dense and never change once released; a new schema change is a new entry. */
export interface PostgresMigration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * pg_advisory_xact_lock key that serializes migrations of one database across processes and hosts
 * (the first 8 bytes of sha256('tachyon_migrations'), as a signed bigint).
 */
export const MIGRATION_LOCK_KEY = '-4294156845826200818';

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = Object.freeze([
  {
    id: 1,
    name: 'registry',
    sql: `
      -- The next version of each name: bumped, never decreased, so numbers are not reused after a delete.
      CREATE TABLE model_counters (
        name TEXT PRIMARY KEY,
        next INTEGER NOT NULL CHECK (next >= 1)
      );
      CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        description TEXT,
        tags JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(tags) = 'object'),
        properties JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(properties) = 'object'),
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        size BIGINT NOT NULL CHECK (size >= 0),
        kind TEXT NOT NULL CHECK (kind IN ('service-definition', 'onnx')),
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE INDEX model_versions_sha256_idx ON model_versions (sha256);
      CREATE INDEX model_versions_tags_idx ON model_versions USING GIN (tags);
      -- A forced delete of a version drops the deployment refs on it (the registry refuses unforced ones).
      CREATE TABLE deployment_refs (
        deployment TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON DELETE CASCADE
      );
      CREATE INDEX deployment_refs_model_idx ON deployment_refs (name, version);
      CREATE TABLE pending_blobs (
        sha256 TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (sha256, owner)
      );
    `,
  },
  {
    id: 2,
    name: 'deployments',
    sql: `
      -- The deployment controller's desired state: one row per service (docs/deployments.md).
      CREATE TABLE deployments (
        name TEXT PRIMARY KEY,
        spec JSONB NOT NULL CHECK (jsonb_typeof(spec) = 'object'),
        state TEXT NOT NULL,
        reason TEXT,
        generation INTEGER NOT NULL CHECK (generation >= 1),
        runtime JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(runtime) = 'object'),
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
    `,
  },
  {
    id: 3,
    name: 'blobs',
    sql: `
      -- Artifacts as large objects (PostgresBlobStore): one row per distinct sha256, its bytes in pg_largeobject.
      CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        oid OID NOT NULL,
        size BIGINT NOT NULL CHECK (size >= 0),
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
]);

/**
 * Brings the schema up to date in ONE transaction guarded by an advisory lock, so concurrent openers (processes
 * or hosts) neither race nor see a half-migrated schema. Returns the ids it applied (empty when up to date).
 */
export async function migratePostgresSchema(
  client: PoolClient,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS tachyon_migrations (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ id: number }>('SELECT id FROM tachyon_migrations ORDER BY id');
    const applied = new Set(rows.map((r) => r.id));
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new Error(
        `the database has schema migrations this tachyon does not know (${unknown.join(', ')}); upgrade tachyon`,
      );
    }
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO tachyon_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      done.push(migration.id);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
