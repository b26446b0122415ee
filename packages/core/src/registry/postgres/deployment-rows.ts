import type { PoolClient } from 'pg';
import type { DeploymentInput, DeploymentRecord } from '../registry-store.js';
import { buildDeploymentRecord, versionNotFound } from '../store-records.js';

export const DEPLOYMENT_COLUMNS = 'name, spec, state, reason, generation, runtime, created_at, updated_at';

export interface DeploymentRow {
  name: string;
  spec: Record<string, unknown>;
  state: string;
  reason: string | null;
  generation: number;
  runtime: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export function toDeploymentRecord(row: DeploymentRow): DeploymentRecord {
  return buildDeploymentRecord({
    name: row.name,
    spec: row.spec,
    state: row.state,
    reason: row.reason,
    generation: row.generation,
    runtime: row.runtime,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });
}

/** putDeployment's transaction body: the row (generation bumped only when the JSONB spec differs) and its ref. */
export async function putDeploymentRows(
  client: PoolClient,
  input: DeploymentInput,
): Promise<{ record: DeploymentRecord; changed: boolean }> {
  // FOR KEY SHARE: the version cannot be deleted between this check and the ref insert.
  const found = await client.query('SELECT 1 FROM model_versions WHERE name = $1 AND version = $2 FOR KEY SHARE', [
    input.model.name,
    input.model.version,
  ]);
  if (found.rowCount === 0) throw versionNotFound(input.model.name, input.model.version);
  const spec = JSON.stringify(input.spec);
  const old = await client.query<{ same: boolean }>(
    'SELECT spec = $2::jsonb AS same FROM deployments WHERE name = $1 FOR UPDATE',
    [input.name, spec],
  );
  const now = "date_trunc('milliseconds', clock_timestamp())";
  let changed = true;
  if (old.rowCount === 0) {
    await client.query(
      `INSERT INTO deployments (${DEPLOYMENT_COLUMNS}) VALUES ($1, $2::jsonb, $3, NULL, 1, '{}'::jsonb, ${now}, ${now})`,
      [input.name, spec, input.state],
    );
  } else if (!old.rows[0]!.same) {
    await client.query(
      `UPDATE deployments SET spec = $2::jsonb, state = $3, reason = NULL, generation = generation + 1, updated_at = ${now} WHERE name = $1`,
      [input.name, spec, input.state],
    );
  } else {
    changed = false;
  }
  await client.query(
    `INSERT INTO deployment_refs (deployment, name, version) VALUES ($1, $2, $3)
     ON CONFLICT (deployment) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version`,
    [input.name, input.model.name, input.model.version],
  );
  const { rows } = await client.query<DeploymentRow>(`SELECT ${DEPLOYMENT_COLUMNS} FROM deployments WHERE name = $1`, [
    input.name,
  ]);
  return { record: toDeploymentRecord(rows[0]!), changed };
}
