import type { SupervisorOptions } from '@tachyon-serve/core';

/**
 * `TACHYON_DAEMON_SUPERVISOR`: a JSON object of SupervisorOptions for a spawned daemon (e.g. faster health checks in
 * tests, or a longer start timeout for big models). Unset or empty: the defaults.
 */
export function daemonOptionsFromEnv(env: NodeJS.ProcessEnv): { supervisor?: SupervisorOptions } {
  const raw = env['TACHYON_DAEMON_SUPERVISOR'];
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new TypeError('TACHYON_DAEMON_SUPERVISOR: expected a JSON object of supervisor options.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TypeError('TACHYON_DAEMON_SUPERVISOR: expected a JSON object.');
  return { supervisor: parsed as SupervisorOptions };
}
