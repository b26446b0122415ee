/** Timing of the process supervisor (docs/deployments.md); every field has a default. */
export interface SupervisorOptions {
  /** Health check period (GET /v2/health/ready of the service). @default 2000 */
  healthIntervalMs?: number;
  /** One health check's timeout. @default 5000 */
  healthTimeoutMs?: number;
  /** Failed checks in a row before the service is Unhealthy. @default 2 */
  unhealthyAfter?: number;
  /** First restart delay after a crash; doubles per crash in a row. @default 500 */
  backoffInitialMs?: number;
  /** Longest restart delay. @default 30000 */
  backoffMaxMs?: number;
  /** A process up this long has its crash count (and so its backoff) reset. @default 60000 */
  backoffResetMs?: number;
  /** Crashes in a row after which the service is Failed and no longer restarted. @default 5 */
  maxCrashes?: number;
  /** How long a starting process may take to load its model and print its ready line. @default 180000 */
  startTimeoutMs?: number;
  /** How long a stop waits for the drain (SIGTERM) before SIGKILL. @default 20000 */
  stopTimeoutMs?: number;
  /** Timeout of a rolling update's model load on the running process. @default 180000 */
  loadTimeoutMs?: number;
}

export type SupervisorConfig = Readonly<Required<SupervisorOptions>>;

export const SUPERVISOR_DEFAULTS: SupervisorConfig = Object.freeze({
  healthIntervalMs: 2000,
  healthTimeoutMs: 5000,
  unhealthyAfter: 2,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  backoffResetMs: 60_000,
  maxCrashes: 5,
  startTimeoutMs: 180_000,
  stopTimeoutMs: 20_000,
  loadTimeoutMs: 180_000,
});

export function compileSupervisorOptions(options: SupervisorOptions = {}): SupervisorConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options.supervisor: expected an object.');
  const out: Record<string, number> = {};
  for (const [key, fallback] of Object.entries(SUPERVISOR_DEFAULTS)) {
    const value = (options as Record<string, unknown>)[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`options.supervisor.${key}: expected a positive integer, got ${String(value)}.`);
    out[key] = value;
  }
  return Object.freeze(out) as SupervisorConfig;
}

/** Restart delay after `crashes` crashes in a row: initial, doubling, capped. */
export function backoffDelay(config: SupervisorConfig, crashes: number): number {
  return Math.min(config.backoffMaxMs, config.backoffInitialMs * 2 ** Math.max(0, crashes - 1));
}
