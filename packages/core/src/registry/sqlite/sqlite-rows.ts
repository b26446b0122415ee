import type Database from 'better-sqlite3';
import type { ArtifactKind, DeploymentRef, ModelVersionRecord, PendingBlob } from '../registry-store.js';
import { buildModelVersionRecord, type VersionInput } from '../store-records.js';

export interface RegistryExport {
  versions: ModelVersionRecord[];
  deployments: DeploymentRef[];
  nextVersions: Record<string, number>;
}

interface VersionRow {
  name: string;
  version: number;
  description: string | null;
  properties: string;
  sha256: string;
  size: number;
  kind: ArtifactKind;
  created_at: string;
}

interface TagRow {
  name: string;
  version: number;
  key: string;
  value: string;
}

const VERSION_COLUMNS = 'name, version, description, properties, sha256, size, kind, created_at';

/** The SQL of the SQLite store; callers provide the transactions. */
export class SqliteRows {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  insertVersion(
    input: VersionInput,
    pendingOwner: string | undefined,
    createdAt = new Date().toISOString(),
    version?: number,
  ): ModelVersionRecord {
    // The counter row is read and bumped under the IMMEDIATE lock, so concurrent processes get distinct numbers.
    const allocated =
      version ??
      (
        this.#db
          .prepare(
            `INSERT INTO model_names (name, next_version) VALUES (?, 2)
             ON CONFLICT (name) DO UPDATE SET next_version = next_version + 1
             RETURNING next_version - 1 AS version`,
          )
          .get(input.name) as { version: number }
      ).version;
    this.#db
      .prepare(`INSERT INTO model_versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        input.name,
        allocated,
        input.description ?? null,
        JSON.stringify(input.properties ?? {}),
        input.sha256,
        input.size,
        input.kind,
        createdAt,
      );
    const insertTag = this.#db.prepare('INSERT INTO model_tags (name, version, key, value) VALUES (?, ?, ?, ?)');
    for (const [key, value] of Object.entries(input.tags ?? {})) insertTag.run(input.name, allocated, key, value);
    if (pendingOwner !== undefined) this.removePendingBlob(input.sha256, pendingOwner);
    return this.getVersion(input.name, allocated)!;
  }

  getVersion(name: string, version: number | undefined): ModelVersionRecord | undefined {
    const row = (
      version === undefined
        ? this.#db
            .prepare(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE name = ? ORDER BY version DESC LIMIT 1`)
            .get(name)
        : this.#db
            .prepare(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE name = ? AND version = ?`)
            .get(name, version)
    ) as VersionRow | undefined;
    if (row === undefined) return undefined;
    const tags = this.#db
      .prepare('SELECT name, version, key, value FROM model_tags WHERE name = ? AND version = ?')
      .all(row.name, row.version) as TagRow[];
    return toRecord(row, tags);
  }

  listVersions(filter: { name?: string; tag?: { key: string; value?: string } }): ModelVersionRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.name !== undefined) {
      where.push('v.name = ?');
      params.push(filter.name);
    }
    if (filter.tag !== undefined) {
      const byValue = filter.tag.value !== undefined;
      where.push(
        `EXISTS (SELECT 1 FROM model_tags t WHERE t.name = v.name AND t.version = v.version AND t.key = ?${byValue ? ' AND t.value = ?' : ''})`,
      );
      params.push(filter.tag.key, ...(byValue ? [filter.tag.value] : []));
    }
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const rows = this.#db
      .prepare(`SELECT ${VERSION_COLUMNS} FROM model_versions v ${clause} ORDER BY v.name, v.version`)
      .all(...params) as VersionRow[];
    const tagRows = (
      filter.name === undefined
        ? this.#db.prepare('SELECT name, version, key, value FROM model_tags').all()
        : this.#db.prepare('SELECT name, version, key, value FROM model_tags WHERE name = ?').all(filter.name)
    ) as TagRow[];
    const tagsOf = new Map<string, TagRow[]>();
    for (const t of tagRows) {
      const key = `${t.name}\0${t.version}`;
      tagsOf.set(key, [...(tagsOf.get(key) ?? []), t]);
    }
    return rows.map((row) => toRecord(row, tagsOf.get(`${row.name}\0${row.version}`) ?? []));
  }

  deleteVersion(name: string, version: number): boolean {
    // Tags and deployment refs go with the row (ON DELETE CASCADE).
    return this.#db.prepare('DELETE FROM model_versions WHERE name = ? AND version = ?').run(name, version).changes > 0;
  }

  updateTags(
    name: string,
    version: number,
    set: Record<string, string>,
    remove: readonly string[],
  ): ModelVersionRecord | undefined {
    if (this.getVersion(name, version) === undefined) return undefined;
    const del = this.#db.prepare('DELETE FROM model_tags WHERE name = ? AND version = ? AND key = ?');
    for (const key of remove) del.run(name, version, key);
    const upsert = this.#db.prepare(
      'INSERT INTO model_tags (name, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value',
    );
    for (const [key, value] of Object.entries(set)) upsert.run(name, version, key, value);
    return this.getVersion(name, version);
  }

  referencedBlobs(): Set<string> {
    return new Set(
      (this.#db.prepare('SELECT DISTINCT sha256 FROM model_versions').all() as { sha256: string }[]).map(
        (r) => r.sha256,
      ),
    );
  }

  blobInUse(sha256: string): boolean {
    const row = this.#db
      .prepare(
        'SELECT EXISTS (SELECT 1 FROM model_versions WHERE sha256 = ?) OR EXISTS (SELECT 1 FROM pending_blobs WHERE sha256 = ?) AS used',
      )
      .get(sha256, sha256) as { used: number };
    return row.used === 1;
  }

  upsertDeploymentRef(ref: DeploymentRef): void {
    this.#db
      .prepare(
        'INSERT INTO deployment_refs (deployment, name, version) VALUES (?, ?, ?) ON CONFLICT (deployment) DO UPDATE SET name = excluded.name, version = excluded.version',
      )
      .run(ref.deployment, ref.name, ref.version);
  }

  deleteDeploymentRef(deployment: string): boolean {
    return this.#db.prepare('DELETE FROM deployment_refs WHERE deployment = ?').run(deployment).changes > 0;
  }

  deploymentRefs(name: string | undefined, version?: number): DeploymentRef[] {
    const rows =
      name === undefined
        ? this.#db.prepare('SELECT deployment, name, version FROM deployment_refs ORDER BY deployment').all()
        : version === undefined
          ? this.#db
              .prepare('SELECT deployment, name, version FROM deployment_refs WHERE name = ? ORDER BY deployment')
              .all(name)
          : this.#db
              .prepare(
                'SELECT deployment, name, version FROM deployment_refs WHERE name = ? AND version = ? ORDER BY deployment',
              )
              .all(name, version);
    return (rows as DeploymentRef[]).map((r) =>
      Object.freeze({ deployment: r.deployment, name: r.name, version: r.version }),
    );
  }

  addPendingBlob(sha256: string, owner: string): void {
    this.#db
      .prepare(
        'INSERT INTO pending_blobs (sha256, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256, owner) DO NOTHING',
      )
      .run(sha256, owner, new Date().toISOString());
  }

  removePendingBlob(sha256: string, owner: string): void {
    this.#db.prepare('DELETE FROM pending_blobs WHERE sha256 = ? AND owner = ?').run(sha256, owner);
  }

  pendingBlobs(): PendingBlob[] {
    const rows = this.#db
      .prepare('SELECT sha256, owner, created_at AS createdAt FROM pending_blobs ORDER BY created_at, sha256, owner')
      .all() as PendingBlob[];
    return rows.map((r) => Object.freeze({ sha256: r.sha256, owner: r.owner, createdAt: r.createdAt }));
  }

  isEmpty(): boolean {
    const row = this.#db
      .prepare(
        'SELECT (SELECT COUNT(*) FROM model_versions) + (SELECT COUNT(*) FROM model_names) + (SELECT COUNT(*) FROM deployment_refs) AS n',
      )
      .get() as { n: number };
    return row.n === 0;
  }

  exportAll(): RegistryExport {
    const names = this.#db.prepare('SELECT name, next_version FROM model_names ORDER BY name').all() as {
      name: string;
      next_version: number;
    }[];
    return {
      versions: this.listVersions({}),
      deployments: this.deploymentRefs(undefined),
      nextVersions: Object.fromEntries(names.map((n) => [n.name, n.next_version])),
    };
  }

  importAll(data: RegistryExport): void {
    const next = new Map<string, number>();
    for (const v of data.versions) {
      this.insertVersion(v, undefined, v.createdAt, v.version);
      next.set(v.name, Math.max(next.get(v.name) ?? 1, v.version + 1));
    }
    for (const [name, n] of Object.entries(data.nextVersions ?? {})) {
      if (Number.isSafeInteger(n) && n >= 1) next.set(name, Math.max(next.get(name) ?? 1, n));
    }
    const setNext = this.#db.prepare('INSERT INTO model_names (name, next_version) VALUES (?, ?)');
    for (const [name, n] of next) setNext.run(name, n);
    for (const d of data.deployments) this.upsertDeploymentRef(d);
  }
}

function toRecord(row: VersionRow, tags: readonly TagRow[]): ModelVersionRecord {
  return buildModelVersionRecord({
    name: row.name,
    version: row.version,
    description: row.description,
    tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    properties: JSON.parse(row.properties) as Record<string, string>,
    sha256: row.sha256,
    size: row.size,
    kind: row.kind,
    createdAt: row.created_at,
  });
}
