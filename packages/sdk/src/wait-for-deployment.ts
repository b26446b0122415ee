import { setTimeout as sleep } from 'node:timers/promises';
import { TachyonError, type ServiceStatus } from '@tachyon-serve/protocol';
import type { DeploymentControl } from './deployment-control.js';

export interface WaitOptions {
  /** Print state changes (and a dot per second while nothing changes) on stderr, as the original did. @default false */
  showOutput?: boolean;
  /** Give up with TCH_ERR_DEPLOY_TIMEOUT after this long; the service keeps transitioning. @default 300000 */
  timeoutMs?: number;
  /** Status poll interval. @default 200 */
  pollMs?: number;
  /** Where progress goes with showOutput. @default process.stderr */
  output?: { write(text: string): unknown };
}

export const WAIT_DEFAULTS = Object.freeze({ timeoutMs: 300_000, pollMs: 200 });

/**
 * Polls the daemon until the service is Healthy at (at least) `from.generation`. Failed -> TCH_ERR_DEPLOY_FAILED
 * with the reason and the last log lines; Deleting -> TCH_ERR_SERVICE_STATE_INVALID; time out -> TCH_ERR_DEPLOY_TIMEOUT.
 */
export async function waitForHealthy(
  control: DeploymentControl,
  from: ServiceStatus,
  options: WaitOptions = {},
): Promise<ServiceStatus> {
  const timeoutMs = options.timeoutMs ?? WAIT_DEFAULTS.timeoutMs;
  const pollMs = options.pollMs ?? WAIT_DEFAULTS.pollMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(`timeoutMs: expected an integer >= 1, got ${String(timeoutMs)}.`);
  if (!Number.isInteger(pollMs) || pollMs < 1)
    throw new RangeError(`pollMs: expected an integer >= 1, got ${String(pollMs)}.`);
  const out = options.showOutput ? (options.output ?? process.stderr) : undefined;
  const started = performance.now();
  const name = from.name;
  // The caller's status may be stale (a deploy answer): start from the daemon's.
  let status = await control.get(name);
  let lastState = '';
  let lastDot = started;
  for (;;) {
    const current = status.generation >= from.generation;
    if (status.state !== lastState) {
      if (lastState !== '') out?.write('\n');
      out?.write(`service "${name}": ${status.state}${status.reason ? ` (${status.reason})` : ''}`);
      lastState = status.state;
    } else if (out && performance.now() - lastDot >= 1000) {
      out.write('.');
      lastDot = performance.now();
    }
    if (current && status.state === 'Healthy') {
      out?.write(`\nservice "${name}" is Healthy at ${status.scoringUri ?? status.httpUrl ?? '?'}\n`);
      return status;
    }
    if (current && status.state === 'Failed') {
      const logs = await control.logs(name, 20).catch(() => []);
      out?.write('\n');
      throw new TachyonError(
        'TCH_ERR_DEPLOY_FAILED',
        `Service "${name}" failed to deploy: ${status.reason ?? 'no reason given'}.`,
        {
          details: {
            service: name,
            state: status.state,
            reason: status.reason ?? null,
            restarts: status.restarts,
            logs,
          },
        },
      );
    }
    if (status.state === 'Deleting') {
      out?.write('\n');
      throw new TachyonError(
        'TCH_ERR_SERVICE_STATE_INVALID',
        `Service "${name}" is being deleted; it will not become Healthy.`,
        {
          details: { service: name, state: status.state },
        },
      );
    }
    const elapsed = performance.now() - started;
    if (elapsed >= timeoutMs) {
      out?.write('\n');
      throw new TachyonError(
        'TCH_ERR_DEPLOY_TIMEOUT',
        `Service "${name}" is still ${status.state} after ${timeoutMs} ms.`,
        {
          details: { service: name, state: status.state, reason: status.reason ?? null, timeoutMs },
        },
      );
    }
    await sleep(Math.min(pollMs, timeoutMs - elapsed));
    status = await control.get(name);
  }
}
