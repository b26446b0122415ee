import type { Priority } from './scheduler-options.js';

export interface ScheduledJob<P> {
  /** Rows (images) this request contributes to a batch, >= 1. */
  rows: number;
  /** @default 'normal' */
  priority?: Priority;
  /** Absolute deadline in performance.now() milliseconds. @default undefined (none) */
  deadline?: number;
  /**
   * Runs as soon as the job is admitted (e.g. decode + preprocess its images, concurrently with other jobs); the job
   * can join a batch only once it resolved. A rejection fails only this job, with that error.
   */
  prepare(): Promise<P>;
}

export interface ScheduledResult<R> {
  result: R;
  /** Milliseconds from submit() to the start of its batch's execute(). */
  queueMs: number;
  /** Rows of the batch it ran in. */
  batchRows: number;
  /** Requests in the batch it ran in. */
  batchRequests: number;
}

export interface BatchInfo {
  rows: number;
  requests: number;
}

/** Observers (metrics, logs); they must not throw (a throw is reported as a process warning and ignored). */
export interface SchedulerHooks {
  onBatchStart?(info: BatchInfo): void;
  onBatchEnd?(info: BatchInfo & { ms: number; error?: unknown }): void;
  /** A job was dropped before it ran: queue full (or evicted by a `high` job), or its deadline passed. */
  onShed?(reason: 'queue-full' | 'deadline', priority: Priority): void;
}

export interface SchedulerStats {
  /** Admitted, not running: preparing + ready. */
  queued: number;
  /** Jobs in running batches. */
  running: number;
  /** Batches in flight. */
  busySlots: number;
  concurrency: number;
}

/** Runs one batch: one result per payload, in order. */
export type ExecuteBatch<P, R> = (batch: P[]) => Promise<R[]>;
