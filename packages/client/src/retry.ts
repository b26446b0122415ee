// The retry loop of one client call, shared by the HTTP and gRPC transports.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TachyonError } from '@tachyon-serve/protocol';
import type { ClientConfig } from './client-options.js';

/** How one attempt of a call ended: with its answer, or with an error worth another attempt. */
export type Attempt<T> = { value: T } | { retry: TachyonError };

/**
 * The wait before retry number `attempt` (0-based): full jitter around an exponential step (half the step plus a
 * random half), so clients that failed together do not retry together.
 */
export function retryDelayMs(config: Pick<ClientConfig, 'backoffMs' | 'maxBackoffMs'>, attempt: number): number {
  const step = Math.min(config.maxBackoffMs, config.backoffMs * 2 ** attempt);
  return step / 2 + Math.random() * (step / 2);
}

/**
 * Runs `attempt` with the milliseconds left of the call's deadline (`call.timeoutMs`, else `config.timeoutMs`) until
 * one answers. An attempt that throws ends the call; one that asks for a retry is retried after `retryDelayMs`, at most
 * `config.retries` times and never past the deadline (then its error is thrown). With no time left before an attempt,
 * `deadlineError()` is thrown. The caller's signal cuts a backoff short.
 */
export async function withRetries<T>(
  config: Pick<ClientConfig, 'timeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs'>,
  call: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined },
  deadlineError: () => TachyonError,
  attempt: (remainingMs: number) => Promise<Attempt<T>>,
): Promise<T> {
  const deadline = performance.now() + (call.timeoutMs ?? config.timeoutMs);
  for (let n = 0; ; n++) {
    const remaining = Math.floor(deadline - performance.now());
    if (remaining <= 0) throw deadlineError();
    const outcome = await attempt(remaining);
    if ('value' in outcome) return outcome.value;
    if (n >= config.retries) throw outcome.retry;
    const delay = retryDelayMs(config, n);
    if (performance.now() + delay >= deadline) throw outcome.retry;
    await sleep(delay, undefined, call.signal ? { signal: call.signal } : undefined);
  }
}
