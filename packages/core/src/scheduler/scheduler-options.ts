/** Request priority: `high` jumps every `normal` request waiting for the same model. */
export type Priority = 'high' | 'normal';
export const PRIORITIES: readonly Priority[] = Object.freeze(['high', 'normal']);

/** How one model's queue forms batches and sheds load (Triton's dynamic batcher, in these names). */
export interface SchedulerOptions {
  /** Combine waiting requests into one session call. Off: every request runs alone. @default true */
  batching?: boolean;
  /** Most rows (images) in one session call; a request with more rows runs alone. @default 8 */
  maxBatchSize?: number;
  /**
   * Batch sizes the model runs best at: when more rows wait than fit, the batch is cut at the largest preferred size
   * reachable. @default [] (take as many as fit)
   */
  preferredBatchSizes?: readonly number[];
  /**
   * How long the oldest waiting request may be held for more to arrive. 0: a batch forms only from requests already
   * waiting, and a lone request is never delayed. @default 0
   */
  maxQueueDelayMs?: number;
  /** Requests admitted and not yet running (preparing or waiting); beyond it new ones get TCH_ERR_QUEUE_FULL. @default 64 */
  maxQueueSize?: number;
  /** Batches in flight at once (one per session copy, i.e. per backend worker). @default 1 */
  concurrency?: number;
}

export interface SchedulerConfig {
  readonly batching: boolean;
  readonly maxBatchSize: number;
  readonly preferredBatchSizes: readonly number[];
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly concurrency: number;
}

export const SCHEDULER_DEFAULTS = Object.freeze({
  batching: true,
  maxBatchSize: 8,
  preferredBatchSizes: Object.freeze([]) as readonly number[],
  maxQueueDelayMs: 0,
  maxQueueSize: 64,
  concurrency: 1,
});

/** Checks every option (misuse -> TypeError/RangeError naming it) and freezes the result. */
export function compileSchedulerOptions(options: SchedulerOptions = {}): SchedulerConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('scheduler: expected an object.');
  const int = (name: 'maxBatchSize' | 'maxQueueSize' | 'concurrency', min: number): number => {
    const value = options[name] ?? SCHEDULER_DEFAULTS[name];
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`scheduler.${name}: expected an integer >= ${min}, got ${String(value)}.`);
    return value;
  };
  const batching = options.batching ?? SCHEDULER_DEFAULTS.batching;
  if (typeof batching !== 'boolean') throw new TypeError('scheduler.batching: expected a boolean.');
  const maxBatchSize = int('maxBatchSize', 1);
  const delay = options.maxQueueDelayMs ?? SCHEDULER_DEFAULTS.maxQueueDelayMs;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0)
    throw new RangeError(`scheduler.maxQueueDelayMs: expected a number >= 0, got ${String(delay)}.`);
  const preferred = options.preferredBatchSizes ?? SCHEDULER_DEFAULTS.preferredBatchSizes;
  if (!Array.isArray(preferred) || !preferred.every((n) => Number.isInteger(n) && n >= 1 && n <= maxBatchSize)) {
    throw new RangeError(`scheduler.preferredBatchSizes: expected integers in [1, maxBatchSize=${maxBatchSize}].`);
  }
  return Object.freeze({
    batching,
    maxBatchSize,
    preferredBatchSizes: Object.freeze([...new Set(preferred)].sort((a, b) => a - b)),
    maxQueueDelayMs: delay,
    maxQueueSize: int('maxQueueSize', 0),
    concurrency: int('concurrency', 1),
  });
}
