import { TachyonError } from '@tachyon-serve/protocol';
import { validateModelName, validateModelVersion, validateStringMap } from './model-ref.js';
import type {
  ArtifactKind,
  DeploymentInput,
  DeploymentRecord,
  DeploymentRef,
  ModelVersionRecord,
  NewModelVersion,
} from './registry-store.js';

/** A new version, or an exported record being imported (whose description may be null). */
export type VersionInput = Omit<NewModelVersion, 'description'> & { description?: string | null };

export const ARTIFACT_KINDS: readonly ArtifactKind[] = Object.freeze(['service-definition', 'onnx']);

/** Argument checks every RegistryStore makes on insertVersion (misuse -> TypeError/RangeError, names -> TachyonError). */
export function checkNewModelVersion(input: VersionInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('input must be a NewModelVersion object.');
  validateModelName(input.name);
  if (input.description !== undefined && input.description !== null && typeof input.description !== 'string')
    throw new TypeError('input.description must be a string.');
  validateStringMap(input.tags, 'input.tags');
  validateStringMap(input.properties, 'input.properties');
  if (typeof input.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(input.sha256))
    throw new RangeError('input.sha256 must be 64 lowercase hex digits.');
  if (!Number.isSafeInteger(input.size) || input.size < 0)
    throw new RangeError('input.size must be a non-negative integer.');
  if (!ARTIFACT_KINDS.includes(input.kind))
    throw new RangeError(`input.kind must be one of ${ARTIFACT_KINDS.join(', ')}.`);
}

export function checkDeploymentRef(ref: DeploymentRef): void {
  if (typeof ref !== 'object' || ref === null) throw new TypeError('ref must be a DeploymentRef object.');
  if (typeof ref.deployment !== 'string' || ref.deployment === '')
    throw new TypeError('ref.deployment must be a non-empty string.');
  validateModelName(ref.name);
  validateModelVersion(ref.version);
}

export function buildModelVersionRecord(fields: {
  name: string;
  version: number;
  description: string | null;
  tags: Record<string, string>;
  properties: Record<string, string>;
  sha256: string;
  size: number;
  kind: ArtifactKind;
  createdAt: string;
}): ModelVersionRecord {
  return Object.freeze({
    name: fields.name,
    version: fields.version,
    description: fields.description,
    tags: Object.freeze(sortKeys(fields.tags)),
    properties: Object.freeze(sortKeys(fields.properties)),
    sha256: fields.sha256,
    size: fields.size,
    kind: fields.kind,
    createdAt: fields.createdAt,
  });
}

function sortKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function versionNotFound(name: string, version: number | undefined): TachyonError {
  const what = version === undefined ? `"${name}"` : `"${name}:${version}"`;
  return new TachyonError('TCH_ERR_REGISTRY_MODEL_NOT_FOUND', `No registered model ${what}.`, {
    details: version === undefined ? { name } : { name, version },
  });
}

export function checkDeploymentName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.length > 253)
    throw new TypeError('name must be a non-empty deployment name of at most 253 characters.');
  return name;
}

export function checkDeploymentInput(input: DeploymentInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('input must be a DeploymentInput object.');
  checkDeploymentName(input.name);
  if (typeof input.spec !== 'object' || input.spec === null || Array.isArray(input.spec))
    throw new TypeError('input.spec must be a JSON object.');
  checkDeploymentState(input.state);
  checkDeploymentRef({
    deployment: input.name,
    name: input.model?.name,
    version: input.model?.version,
  } as DeploymentRef);
}

export function checkDeploymentState(state: unknown): string {
  if (typeof state !== 'string' || state === '') throw new TypeError('state must be a non-empty string.');
  return state;
}

export function buildDeploymentRecord(fields: {
  name: string;
  spec: Record<string, unknown>;
  state: string;
  reason: string | null;
  generation: number;
  runtime: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}): DeploymentRecord {
  return Object.freeze({
    name: fields.name,
    spec: deepFreeze(fields.spec),
    state: fields.state,
    reason: fields.reason,
    generation: fields.generation,
    runtime: deepFreeze(fields.runtime),
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
