import type { ArtifactKind, DeploymentRef, ModelVersionRecord, PendingBlob } from '../registry-store.js';
import { buildModelVersionRecord } from '../store-records.js';

/** Columns of model_versions in the order every SELECT of a version uses. */
export const VERSION_COLUMNS = 'name, version, description, tags, properties, sha256, size, kind, created_at';

export interface VersionRow {
  name: string;
  version: number;
  description: string | null;
  tags: Record<string, string>;
  properties: Record<string, string>;
  sha256: string;
  /** BIGINT arrives as a string. */
  size: string | number;
  kind: ArtifactKind;
  created_at: Date;
}

export interface RefRow {
  deployment: string;
  name: string;
  version: number;
}

export function toVersionRecord(row: VersionRow): ModelVersionRecord {
  return buildModelVersionRecord({
    name: row.name,
    version: row.version,
    description: row.description,
    tags: row.tags,
    properties: row.properties,
    sha256: row.sha256,
    size: Number(row.size),
    kind: row.kind,
    createdAt: row.created_at.toISOString(),
  });
}

export function toDeploymentRef(row: RefRow): DeploymentRef {
  return Object.freeze({ deployment: row.deployment, name: row.name, version: row.version });
}

export function toPendingBlob(row: { sha256: string; owner: string; created_at: Date }): PendingBlob {
  return Object.freeze({ sha256: row.sha256, owner: row.owner, createdAt: row.created_at.toISOString() });
}

/** The journal's argument checks, the same as the SQLite store's. */
export function checkPending(sha256: unknown, owner: unknown): void {
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    throw new RangeError('sha256 must be 64 lowercase hex digits.');
  if (typeof owner !== 'string' || owner === '') throw new TypeError('owner must be a non-empty string.');
}

export function checkIsoDate(value: unknown, argument: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
    throw new TypeError(`${argument} must be an ISO 8601 date, got ${String(value)}.`);
  return value;
}
