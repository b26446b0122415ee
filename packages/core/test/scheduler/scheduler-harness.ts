import { isTachyonError } from '@tachyon-serve/protocol';
import {
  ModelScheduler,
  compileSchedulerOptions,
  type BatchInfo,
  type Priority,
  type ScheduledJob,
  type SchedulerOptions,
} from '../../src/index.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback and I/O callback run (ordering, not time). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One execute() call the test completes by hand. */
export interface ExecuteCall {
  payloads: string[];
  done: Deferred<string[]>;
  /** Completes the call with one result per payload: `r:<payload>`. */
  finish(): void;
}

/**
 * A scheduler over string payloads whose execute() completes only when the test says so, with every hook
 * recorded. `auto` completes each call right away (in a microtask).
 */
export function harness(options: SchedulerOptions = {}, auto = false) {
  const calls: ExecuteCall[] = [];
  const events: string[] = [];
  const ends: (BatchInfo & { ms: number; error?: unknown })[] = [];
  const execute = (payloads: string[]): Promise<string[]> => {
    const done = deferred<string[]>();
    const call: ExecuteCall = { payloads, done, finish: () => done.resolve(payloads.map((p) => `r:${p}`)) };
    calls.push(call);
    if (auto) call.finish();
    return done.promise;
  };
  const scheduler = new ModelScheduler<string, string>('m1', execute, compileSchedulerOptions(options), {
    onBatchStart: (info) => events.push(`start ${info.requests}/${info.rows}`),
    onBatchEnd: (info) => ends.push(info),
    onShed: (reason, priority) => events.push(`shed ${reason} ${priority}`),
  });
  const prepared: string[] = [];
  /** A job whose prepare() resolves at once with `payload`. */
  const job = (payload: string, extra: Partial<ScheduledJob<string>> = {}): ScheduledJob<string> => ({
    rows: 1,
    prepare: () => {
      prepared.push(payload);
      return Promise.resolve(payload);
    },
    ...extra,
  });
  const batches = (): string[][] => calls.map((c) => c.payloads);
  return { scheduler, calls, events, ends, prepared, job, batches };
}

/** A promise's outcome without awaiting it: lets a test assert a job is still pending. */
export function track<T>(promise: Promise<T>): {
  settled: () => boolean;
  value: () => T | undefined;
  error: () => unknown;
} {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      error = e;
    },
  );
  return { settled: () => settled, value: () => value, error: () => error };
}

export const hasCode =
  (code: string) =>
  (e: unknown): boolean =>
    isTachyonError(e) && e.code === code;

export type { Priority };
