import type { PoolClient } from 'pg';
import { TachyonError } from '@tachyon-serve/protocol';
import { validateModelVersion } from '../model-ref.js';
import type { DeploymentRef, ModelVersionRecord } from '../registry-store.js';
import { checkDeploymentRef, checkNewModelVersion } from '../store-records.js';
import { checkIsoDate } from './version-rows.js';

/** What `exportAll` returns and `importAll` takes. */
export interface RegistryExport {
  versions: ModelVersionRecord[];
  deployments: DeploymentRef[];
  nextVersions: Record<string, number>;
}

/**
 * Loads an export into an empty registry inside the caller's transaction. Versions keep their numbers and created
 * times; each name's counter becomes max(nextVersions[name], highest version + 1), so numbering continues where the
 * source left off, deleted versions included.
 */
export async function importRegistryRows(client: PoolClient, data: RegistryExport, registry: string): Promise<void> {
  // Writers wait until the import commits; the emptiness check below then cannot race with a registration.
  await client.query('LOCK TABLE model_counters, model_versions, deployment_refs IN EXCLUSIVE MODE');
  const { rows } = await client.query<{ versions: string; counters: string; deployments: string }>(
    `SELECT (SELECT count(*) FROM model_versions) AS versions, (SELECT count(*) FROM model_counters) AS counters,
            (SELECT count(*) FROM deployment_refs) AS deployments`,
  );
  const existing = rows[0]!;
  if (Number(existing.versions) + Number(existing.counters) + Number(existing.deployments) > 0) {
    const held = `${existing.versions} versions, ${existing.counters} model names, ${existing.deployments} deployment refs`;
    throw new TachyonError(
      'TCH_ERR_REGISTRY_DATABASE_FAILED',
      `PostgreSQL registry "${registry}" is not empty (${held}); an import needs an empty database.`,
      {
        details: {
          registry,
          versions: Number(existing.versions),
          names: Number(existing.counters),
          deployments: Number(existing.deployments),
        },
      },
    );
  }
  const { versions, deployments, counters } = toImportRows(data);
  // One parameter per table (a JSON array), so an import of any size is three statements.
  await client.query(
    `INSERT INTO model_versions (name, version, description, tags, properties, sha256, size, kind, created_at)
     SELECT name, version, description, tags, properties, sha256, size, kind, created_at::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS r(name text, version integer, description text, tags jsonb, properties jsonb,
                                              sha256 text, size bigint, kind text, created_at text)`,
    [JSON.stringify(versions)],
  );
  await client.query(
    `INSERT INTO deployment_refs (deployment, name, version)
     SELECT deployment, name, version FROM jsonb_to_recordset($1::jsonb) AS r(deployment text, name text, version integer)`,
    [JSON.stringify(deployments)],
  );
  await client.query(
    `INSERT INTO model_counters (name, next) SELECT name, next FROM jsonb_to_recordset($1::jsonb) AS r(name text, next integer)`,
    [JSON.stringify(counters)],
  );
}

/** Checks an export (misuse -> TypeError/RangeError, bad names -> TCH_ERR_REGISTRY_NAME_INVALID) before anything is written. */
export function checkRegistryExport(data: RegistryExport): void {
  if (typeof data !== 'object' || data === null || !Array.isArray(data.versions) || !Array.isArray(data.deployments)) {
    throw new TypeError('data must be { versions, deployments, nextVersions }.');
  }
  if (typeof data.nextVersions !== 'object' || data.nextVersions === null)
    throw new TypeError('data.nextVersions must be an object.');
  toImportRows(data);
}

function toImportRows(data: RegistryExport) {
  const next = new Map<string, number>();
  for (const [name, value] of Object.entries(data.nextVersions)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`data.nextVersions["${name}"] must be a positive integer, got ${String(value)}.`);
    next.set(name, value);
  }
  const seen = new Set<string>();
  const versions = data.versions.map((v, i) => {
    checkNewModelVersion({ ...v, description: v.description ?? undefined });
    validateModelVersion(v.version);
    const key = `${v.name}:${v.version}`;
    if (seen.has(key)) throw new RangeError(`data.versions[${i}] repeats "${key}".`);
    seen.add(key);
    next.set(v.name, Math.max(next.get(v.name) ?? 1, v.version + 1));
    return {
      name: v.name,
      version: v.version,
      description: v.description ?? null,
      tags: v.tags,
      properties: v.properties,
      sha256: v.sha256,
      size: v.size,
      kind: v.kind,
      created_at: new Date(checkIsoDate(v.createdAt, `data.versions[${i}].createdAt`)).toISOString(),
    };
  });
  const deployments = data.deployments.map((d) => {
    checkDeploymentRef(d);
    return { deployment: d.deployment, name: d.name, version: d.version };
  });
  return { versions, deployments, counters: [...next].map(([name, n]) => ({ name, next: n })) };
}
