import type Database from 'better-sqlite3';
import { TachyonError } from '@tachyon-serve/protocol';

export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The registry schema, one numbered step at a time. Never edit a released step: append a new one. Each step runs
 * in the same IMMEDIATE transaction as its `migrations` row, so concurrent openers apply it exactly once.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = Object.freeze([
  {
    version: 1,
    name: 'initial registry schema',
    sql: `
      -- The next version number of each name: bumped, never decreased, so numbers are not reused after a delete.
      CREATE TABLE model_names (
        name         TEXT PRIMARY KEY,
        next_version INTEGER NOT NULL CHECK (next_version >= 1)
      );
      CREATE TABLE model_versions (
        name        TEXT    NOT NULL,
        version     INTEGER NOT NULL CHECK (version >= 1),
        description TEXT,
        properties  TEXT    NOT NULL DEFAULT '{}',  -- JSON object of strings; fixed at registration
        sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
        size        INTEGER NOT NULL CHECK (size >= 0),
        kind        TEXT    NOT NULL CHECK (kind IN ('service-definition', 'onnx')),
        created_at  TEXT    NOT NULL,               -- ISO 8601 UTC
        PRIMARY KEY (name, version)
      );
      CREATE INDEX model_versions_sha256 ON model_versions (sha256);
      -- Tags change after registration and are filtered on: one row each.
      CREATE TABLE model_tags (
        name    TEXT    NOT NULL,
        version INTEGER NOT NULL,
        key     TEXT    NOT NULL,
        value   TEXT    NOT NULL,
        PRIMARY KEY (name, version, key),
        FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON DELETE CASCADE
      );
      CREATE INDEX model_tags_key ON model_tags (key, value);
      CREATE TABLE deployment_refs (
        deployment TEXT    PRIMARY KEY,
        name       TEXT    NOT NULL,
        version    INTEGER NOT NULL,
        -- ModelRegistry refuses to delete a used version unless forced; a forced delete drops its refs with it.
        FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON DELETE CASCADE
      );
      CREATE INDEX deployment_refs_model ON deployment_refs (name, version);
      -- Crash-recovery journal: a blob that owner is writing before its version row exists.
      CREATE TABLE pending_blobs (
        sha256     TEXT NOT NULL,
        owner      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sha256, owner)
      );
    `,
  },
  {
    version: 2,
    name: 'deployments',
    sql: `
      -- The deployment controller's desired state: one row per service (docs/deployments.md).
      CREATE TABLE deployments (
        name       TEXT    PRIMARY KEY,
        spec       TEXT    NOT NULL,               -- JSON object
        state      TEXT    NOT NULL,
        reason     TEXT,
        generation INTEGER NOT NULL CHECK (generation >= 1),
        runtime    TEXT    NOT NULL DEFAULT '{}',  -- JSON object: ports picked, kept across restarts
        created_at TEXT    NOT NULL,
        updated_at TEXT    NOT NULL
      );
    `,
  },
]);

/** Creates the `migrations` table and applies every missing step, each with its row, in one IMMEDIATE transaction. */
export function applySqliteMigrations(
  db: Database.Database,
  file: string,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const apply = db.transaction((): number[] => {
    const row = db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new TachyonError(
        'TCH_ERR_REGISTRY_DATABASE_FAILED',
        `Registry database "${file}" has schema version ${current}, newer than this tachyon knows (${latest}); upgrade tachyon.`,
        { details: { file, schemaVersion: current, supported: latest } },
      );
    }
    const applied: number[] = [];
    const insert = db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      insert.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
    return applied;
  });
  return apply.immediate();
}
