import type Database from 'better-sqlite3';
import type { DeploymentInput, DeploymentRecord } from '../registry-store.js';
import { buildDeploymentRecord, canonicalJson, versionNotFound } from '../store-records.js';

interface DeploymentRow {
  name: string;
  spec: string;
  state: string;
  reason: string | null;
  generation: number;
  runtime: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'name, spec, state, reason, generation, runtime, created_at, updated_at';

/** The SQL of the deployments table (SQLite); callers provide the transactions. */
export class SqliteDeploymentRows {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  put(input: DeploymentInput): { record: DeploymentRecord; changed: boolean } {
    const exists = this.#db
      .prepare('SELECT 1 FROM model_versions WHERE name = ? AND version = ?')
      .get(input.model.name, input.model.version);
    if (exists === undefined) throw versionNotFound(input.model.name, input.model.version);
    const spec = canonicalJson(input.spec);
    const now = new Date().toISOString();
    const old = this.get(input.name);
    let changed = true;
    if (old === undefined) {
      this.#db
        .prepare(`INSERT INTO deployments (${COLUMNS}) VALUES (?, ?, ?, NULL, 1, '{}', ?, ?)`)
        .run(input.name, spec, input.state, now, now);
    } else if (canonicalJson(old.spec) !== spec) {
      this.#db
        .prepare(
          'UPDATE deployments SET spec = ?, state = ?, reason = NULL, generation = generation + 1, updated_at = ? WHERE name = ?',
        )
        .run(spec, input.state, now, input.name);
    } else {
      changed = false;
    }
    this.#db
      .prepare(
        'INSERT INTO deployment_refs (deployment, name, version) VALUES (?, ?, ?) ON CONFLICT (deployment) DO UPDATE SET name = excluded.name, version = excluded.version',
      )
      .run(input.name, input.model.name, input.model.version);
    return { record: this.get(input.name)!, changed };
  }

  get(name: string): DeploymentRecord | undefined {
    const row = this.#db.prepare(`SELECT ${COLUMNS} FROM deployments WHERE name = ?`).get(name) as
      | DeploymentRow
      | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  list(): DeploymentRecord[] {
    return (this.#db.prepare(`SELECT ${COLUMNS} FROM deployments ORDER BY name`).all() as DeploymentRow[]).map(
      toRecord,
    );
  }

  setState(
    name: string,
    state: string,
    reason: string | null,
    runtime: Record<string, unknown> | undefined,
  ): DeploymentRecord | undefined {
    const old = this.get(name);
    if (old === undefined) return undefined;
    const merged = runtime === undefined ? old.runtime : { ...old.runtime, ...runtime };
    this.#db
      .prepare('UPDATE deployments SET state = ?, reason = ?, runtime = ?, updated_at = ? WHERE name = ?')
      .run(state, reason, canonicalJson(merged), new Date().toISOString(), name);
    return this.get(name);
  }

  delete(name: string): boolean {
    this.#db.prepare('DELETE FROM deployment_refs WHERE deployment = ?').run(name);
    return this.#db.prepare('DELETE FROM deployments WHERE name = ?').run(name).changes > 0;
  }
}

function toRecord(row: DeploymentRow): DeploymentRecord {
  return buildDeploymentRecord({
    name: row.name,
    spec: JSON.parse(row.spec) as Record<string, unknown>,
    state: row.state,
    reason: row.reason,
    generation: row.generation,
    runtime: JSON.parse(row.runtime) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
