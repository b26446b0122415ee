import { TachyonError, SERVICE_STATES, type ServiceState } from '@tachyon-serve/protocol';

/**
 * The allowed state changes of a deployed service (the original's names). A state may always be re-entered with a
 * new reason; `Deleting` is final (the row then disappears).
 *
 * - Transitioning: starting, restarting or switching versions -> Healthy | Unhealthy | Failed | Deleting
 * - Healthy: serving -> Transitioning (update, restart) | Unhealthy (health check or crash) | Deleting
 * - Unhealthy: failing checks or crashed, being restarted -> Healthy | Transitioning | Failed | Deleting
 * - Failed: gave up (the model cannot load, or N crashes in a row) -> Transitioning (redeploy) | Deleting
 */
export const SERVICE_TRANSITIONS: Readonly<Record<ServiceState, readonly ServiceState[]>> = Object.freeze({
  Transitioning: Object.freeze(['Healthy', 'Unhealthy', 'Failed', 'Deleting'] as const),
  Healthy: Object.freeze(['Transitioning', 'Unhealthy', 'Deleting'] as const),
  Unhealthy: Object.freeze(['Healthy', 'Transitioning', 'Failed', 'Deleting'] as const),
  Failed: Object.freeze(['Transitioning', 'Deleting'] as const),
  Deleting: Object.freeze([] as const),
});

export function isServiceState(value: unknown): value is ServiceState {
  return typeof value === 'string' && (SERVICE_STATES as readonly string[]).includes(value);
}

/** Whether `from -> to` is allowed (re-entering the same state is, except for Deleting, which is final). */
export function canTransition(from: ServiceState, to: ServiceState): boolean {
  if (!isServiceState(from))
    throw new RangeError(`from: expected one of ${SERVICE_STATES.join(', ')}, got ${String(from)}.`);
  if (!isServiceState(to)) throw new RangeError(`to: expected one of ${SERVICE_STATES.join(', ')}, got ${String(to)}.`);
  if (from === to) return from !== 'Deleting';
  return SERVICE_TRANSITIONS[from].includes(to);
}

/** Throws TCH_ERR_SERVICE_STATE_INVALID (listing the allowed changes) unless `from -> to` is allowed. */
export function assertTransition(service: string, from: ServiceState, to: ServiceState): void {
  if (canTransition(from, to)) return;
  const allowed = SERVICE_TRANSITIONS[from];
  throw new TachyonError(
    'TCH_ERR_SERVICE_STATE_INVALID',
    `Service "${service}" cannot go from ${from} to ${to}; from ${from} it can go to ${allowed.length === 0 ? 'nothing' : allowed.join(', ')}.`,
    { details: { service, from, to, allowed: [...allowed] } },
  );
}
