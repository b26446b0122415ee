/** Which versions of a registry model a server loads (Triton's version_policy). */
export type VersionPolicy = { latest: number } | { specific: readonly string[] };

/** Loading and unloading models on a running server (`/v2/repository/...`, admin key). */
export interface ModelControlOptions {
  /** Accept repository load/unload requests (they still need the admin key). @default true */
  enabled?: boolean;
  /** A load that takes longer is abandoned and released (TCH_ERR_MODEL_LOAD_TIMEOUT). @default 120000 */
  loadTimeoutMs?: number;
  /** Estimated bytes all loaded models may take; a load beyond it is refused. @default 80% of total memory */
  memoryBudgetBytes?: number;
  /** Model versions loaded at once. @default 32 */
  maxLoadedVersions?: number;
}

export interface ModelControlConfig {
  readonly enabled: boolean;
  readonly loadTimeoutMs: number;
  readonly memoryBudgetBytes: number | undefined;
  readonly maxLoadedVersions: number;
}

export const MODEL_CONTROL_DEFAULTS = Object.freeze({ enabled: true, loadTimeoutMs: 120_000, maxLoadedVersions: 32 });
export const DEFAULT_VERSION_POLICY: VersionPolicy = Object.freeze({ latest: 1 });

export function compileModelControlOptions(options: ModelControlOptions = {}): ModelControlConfig {
  const enabled = options.enabled ?? MODEL_CONTROL_DEFAULTS.enabled;
  if (typeof enabled !== 'boolean') throw new TypeError('modelControl.enabled: expected a boolean.');
  const int = (name: 'loadTimeoutMs' | 'maxLoadedVersions'): number => {
    const value = options[name] ?? MODEL_CONTROL_DEFAULTS[name];
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`modelControl.${name}: expected an integer >= 1, got ${String(value)}.`);
    return value;
  };
  const budget = options.memoryBudgetBytes;
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1))
    throw new RangeError(`modelControl.memoryBudgetBytes: expected an integer >= 1, got ${String(budget)}.`);
  return Object.freeze({
    enabled,
    loadTimeoutMs: int('loadTimeoutMs'),
    memoryBudgetBytes: budget,
    maxLoadedVersions: int('maxLoadedVersions'),
  });
}

export function validateVersionPolicy(policy: unknown, where: string): VersionPolicy {
  if (typeof policy === 'object' && policy !== null) {
    const p = policy as Record<string, unknown>;
    if ('latest' in p && Object.keys(p).length === 1 && Number.isInteger(p['latest']) && (p['latest'] as number) >= 1)
      return Object.freeze({ latest: p['latest'] as number });
    if (
      'specific' in p &&
      Object.keys(p).length === 1 &&
      Array.isArray(p['specific']) &&
      p['specific'].length > 0 &&
      p['specific'].every((v) => typeof v === 'string' && /^[1-9][0-9]*$/.test(v))
    ) {
      return Object.freeze({ specific: Object.freeze([...(p['specific'] as string[])]) });
    }
  }
  throw new TypeError(`${where}: expected { latest: N >= 1 } or { specific: ["1", "3", ...] }.`);
}
