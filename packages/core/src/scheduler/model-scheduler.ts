import { TachyonError } from '@tachyon-serve/protocol';
import { ReadyQueue, type ReadyItem } from './ready-queue.js';
import { PRIORITIES, type Priority, type SchedulerConfig } from './scheduler-options.js';
import type {
  BatchInfo,
  ExecuteBatch,
  ScheduledJob,
  ScheduledResult,
  SchedulerHooks,
  SchedulerStats,
} from './scheduler-types.js';

const PREPARING = 0;
const READY = 1;
const RUNNING = 2;
const SETTLED = 3;
// Timers fire on the event loop's cached clock, up to ~1 ms before performance.now() says they are due.
const TIMER_SLACK_MS = 1;
const MAX_TIMER_MS = 2 ** 31 - 1;

class Job<P, R> implements ReadyItem {
  state = PREPARING;
  payload: P | undefined = undefined;
  readyAt = 0;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  deadline: number | undefined = undefined;
  constructor(
    readonly seq: number,
    readonly rank: 0 | 1,
    readonly rows: number,
    readonly submitAt: number,
    readonly resolve: (value: ScheduledResult<R>) => void,
    readonly reject: (error: unknown) => void,
  ) {}
}

/**
 * One model's request queue — Triton's dynamic batcher: jobs are admitted into a bounded queue, prepared
 * concurrently, then run in batches of up to `maxBatchSize` rows on `concurrency` slots, `high` before `normal`,
 * FIFO within a priority. See docs/scheduling.md.
 */
export class ModelScheduler<P, R> {
  readonly #name: string;
  readonly #execute: ExecuteBatch<P, R>;
  readonly #config: SchedulerConfig;
  readonly #hooks: SchedulerHooks;
  /** Admitted and not running (preparing or ready), in submission order. */
  readonly #waiting = new Set<Job<P, R>>();
  readonly #ready = new ReadyQueue<Job<P, R>>();
  #seq = 0;
  #busy = 0;
  #running = 0;
  #accepting = true;
  #delayTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #delayDue = 0;
  #drained: Promise<void> | undefined = undefined;
  #resolveDrained: (() => void) | undefined = undefined;

  constructor(name: string, execute: ExecuteBatch<P, R>, config: SchedulerConfig, hooks: SchedulerHooks = {}) {
    if (typeof name !== 'string' || name === '') throw new TypeError('name: expected a non-empty string.');
    if (typeof execute !== 'function') throw new TypeError('execute: expected a function.');
    if (typeof config !== 'object' || config === null || !Number.isInteger(config.concurrency)) {
      throw new TypeError('config: expected a SchedulerConfig from compileSchedulerOptions().');
    }
    if (typeof hooks !== 'object' || hooks === null) throw new TypeError('hooks: expected an object.');
    this.#name = name;
    this.#execute = execute;
    this.#config = config;
    this.#hooks = hooks;
  }

  get stats(): SchedulerStats {
    return {
      queued: this.#waiting.size,
      running: this.#running,
      busySlots: this.#busy,
      concurrency: this.#config.concurrency,
    };
  }

  /** Admits one job (or rejects it at once: unloading, deadline already past, queue full). */
  submit(job: ScheduledJob<P>): Promise<ScheduledResult<R>> {
    if (typeof job !== 'object' || job === null || typeof job.prepare !== 'function')
      throw new TypeError('job: expected an object with a prepare() function.');
    const { rows, deadline } = job;
    const priority = job.priority ?? 'normal';
    if (!Number.isInteger(rows) || rows < 1)
      throw new RangeError(`job.rows: expected an integer >= 1, got ${String(rows)}.`);
    if (!PRIORITIES.includes(priority))
      throw new RangeError(`job.priority: expected 'high' or 'normal', got ${String(priority)}.`);
    if (deadline !== undefined && (typeof deadline !== 'number' || Number.isNaN(deadline)))
      throw new TypeError('job.deadline: expected a number (performance.now() milliseconds).');

    if (!this.#accepting)
      return Promise.reject(this.#unloading(`Model "${this.#name}" is unloading and accepts no new requests.`));
    const now = performance.now();
    if (deadline !== undefined && deadline <= now) {
      this.#shed('deadline', priority);
      return Promise.reject(this.#deadlineError('before it was queued'));
    }
    const rank = priority === 'high' ? 0 : 1;
    if (this.#waiting.size >= this.#config.maxQueueSize) {
      const victim = rank === 0 ? this.#newestNormal() : undefined;
      if (victim === undefined) {
        this.#shed('queue-full', priority);
        return Promise.reject(
          this.#queueFull(`Model "${this.#name}" has ${this.#waiting.size} requests queued, its limit; retry later.`),
        );
      }
      const evicted = this.#queueFull(
        `A higher-priority request took this request's place in the queue of model "${this.#name}".`,
      );
      this.#remove(victim);
      this.#settle(victim, evicted);
      this.#shed('queue-full', 'normal');
    }

    let entry!: Job<P, R>;
    const promise = new Promise<ScheduledResult<R>>((resolve, reject) => {
      entry = new Job<P, R>(this.#seq++, rank, rows, now, resolve, reject);
    });
    entry.deadline = deadline;
    this.#waiting.add(entry);
    // Beyond setTimeout's range (~24.8 days) a deadline is as good as none.
    if (deadline !== undefined && deadline - now <= MAX_TIMER_MS)
      entry.timer = setTimeout(this.#expire, deadline - now, entry).unref();
    let prepared: Promise<P>;
    try {
      prepared = job.prepare();
    } catch (error) {
      prepared = Promise.reject(error);
    }
    Promise.resolve(prepared).then(
      (payload) => this.#onPrepared(entry, payload),
      (error: unknown) => this.#onPrepareFailed(entry, error),
    );
    return promise;
  }

  /** Stops admitting (new submits get TCH_ERR_MODEL_UNLOADING); resolves once every admitted job settled and no batch runs. */
  drain(): Promise<void> {
    this.#accepting = false;
    if (this.#drained === undefined) this.#drained = new Promise((resolve) => (this.#resolveDrained = resolve));
    // Nothing more can arrive: jobs held for a fuller batch go now.
    this.#pump();
    this.#checkDrained();
    return this.#drained;
  }

  /** Stops admitting and rejects every queued job with TCH_ERR_MODEL_UNLOADING; running batches finish. */
  close(): void {
    this.#accepting = false;
    this.#clearDelay();
    const error = this.#unloading(`Model "${this.#name}" was unloaded before the request ran.`);
    for (const job of [...this.#waiting]) {
      this.#remove(job);
      this.#settle(job, error);
    }
    this.#checkDrained();
  }

  #onPrepared(job: Job<P, R>, payload: P): void {
    if (job.state !== PREPARING) return; // shed, expired or unloaded meanwhile
    job.payload = payload;
    job.state = READY;
    if (this.#config.maxQueueDelayMs > 0) job.readyAt = performance.now();
    this.#ready.push(job);
    this.#pump();
  }

  #onPrepareFailed(job: Job<P, R>, error: unknown): void {
    if (job.state !== PREPARING) return;
    this.#waiting.delete(job);
    this.#settle(job, error);
    this.#checkDrained();
  }

  /** Starts batches while a slot is free and ready jobs wait. */
  #pump(): void {
    while (this.#busy < this.#config.concurrency && this.#ready.size > 0) {
      const count = this.#plan();
      if (count === 0) return; // held for a fuller batch; the delay timer calls back
      this.#clearDelay();
      void this.#run(this.#ready.take(count));
    }
    if (this.#ready.size === 0) this.#clearDelay();
  }

  /** How many ready jobs the next batch takes, or 0 to hold them for more (maxQueueDelayMs). */
  #plan(): number {
    const { batching, maxBatchSize, preferredBatchSizes, maxQueueDelayMs } = this.#config;
    if (!batching) return 1;
    const ready = this.#ready;
    const size = ready.size;
    let rows = 0;
    let count = 0;
    let preferred = 0;
    let full = false;
    while (count < size) {
      const next = ready.at(count).rows;
      if (rows + next > maxBatchSize) {
        if (count === 0) count = 1; // larger than maxBatchSize: runs alone
        full = true;
        break;
      }
      rows += next;
      count++;
      if (preferredBatchSizes.length > 0 && preferredBatchSizes.includes(rows)) preferred = count;
      if (rows === maxBatchSize) {
        full = true;
        break;
      }
    }
    if (preferred > 0) return preferred;
    if (full || maxQueueDelayMs === 0 || !this.#accepting) return count;
    const due = ready.oldestReadyAt() + maxQueueDelayMs;
    const now = performance.now();
    if (now >= due - TIMER_SLACK_MS) return count;
    if (this.#delayTimer === undefined || this.#delayDue !== due) {
      this.#clearDelay();
      this.#delayDue = due;
      // Not unref'd, unlike deadline timers: held jobs are pending work, and the hold lasts at most maxQueueDelayMs.
      this.#delayTimer = setTimeout(this.#onDelay, due - now);
    }
    return 0;
  }

  async #run(batch: Job<P, R>[]): Promise<void> {
    const requests = batch.length;
    const payloads = new Array<P>(requests);
    let rows = 0;
    for (let i = 0; i < requests; i++) {
      const job = batch[i] as Job<P, R>;
      this.#waiting.delete(job);
      job.state = RUNNING;
      rows += job.rows;
      payloads[i] = job.payload as P;
      job.payload = undefined;
    }
    this.#busy++;
    this.#running += requests;
    const info: BatchInfo = { rows, requests };
    if (this.#hooks.onBatchStart !== undefined) this.#hook(() => this.#hooks.onBatchStart?.(info));
    const startAt = performance.now();
    let results: R[] | undefined;
    let error: unknown;
    let failed = false;
    try {
      results = await this.#execute(payloads);
      if (!Array.isArray(results) || results.length !== requests) {
        throw new TypeError(
          `Model "${this.#name}": execute() returned ${Array.isArray(results) ? `${results.length} results` : 'no array'} for a batch of ${requests}.`,
        );
      }
    } catch (e) {
      failed = true;
      error = e;
    }
    const ms = performance.now() - startAt;
    for (let i = 0; i < requests; i++) {
      const job = batch[i] as Job<P, R>;
      if (job.state !== RUNNING) continue; // its deadline passed while it ran: already answered
      if (failed) this.#settle(job, error);
      // A busy event loop can run this before the late deadline timer: the caller still gets the deadline error.
      else if (job.deadline !== undefined && performance.now() > job.deadline)
        this.#settle(job, this.#deadlineError('while it was running'));
      else {
        if (job.timer !== undefined) clearTimeout(job.timer);
        job.state = SETTLED;
        job.resolve({
          result: (results as R[])[i] as R,
          queueMs: startAt - job.submitAt,
          batchRows: rows,
          batchRequests: requests,
        });
      }
    }
    this.#busy--;
    this.#running -= requests;
    if (this.#hooks.onBatchEnd !== undefined)
      this.#hook(() => this.#hooks.onBatchEnd?.(failed ? { rows, requests, ms, error } : { rows, requests, ms }));
    this.#pump();
    this.#checkDrained();
  }

  readonly #onDelay = (): void => {
    this.#delayTimer = undefined;
    this.#pump();
  };

  readonly #expire = (job: Job<P, R>): void => {
    job.timer = undefined;
    if (job.state === SETTLED) return;
    if (job.state === RUNNING) {
      // Its batch goes on for the others; this caller gets its answer on time.
      this.#settle(job, this.#deadlineError('while it was running'));
      return;
    }
    this.#remove(job);
    this.#shed('deadline', job.rank === 0 ? 'high' : 'normal');
    this.#settle(job, this.#deadlineError('while it was queued'));
    this.#checkDrained();
  };

  #settle(job: Job<P, R>, error: unknown): void {
    if (job.timer !== undefined) clearTimeout(job.timer);
    job.timer = undefined;
    job.state = SETTLED;
    job.payload = undefined;
    job.reject(error);
  }

  /** Takes a waiting job out of the queue (it must then be settled). */
  #remove(job: Job<P, R>): void {
    this.#waiting.delete(job);
    if (job.state === READY) this.#ready.remove(job);
  }

  #newestNormal(): Job<P, R> | undefined {
    let newest: Job<P, R> | undefined;
    for (const job of this.#waiting) if (job.rank === 1) newest = job;
    return newest;
  }

  #clearDelay(): void {
    if (this.#delayTimer !== undefined) clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
  }

  #checkDrained(): void {
    if (this.#resolveDrained !== undefined && this.#waiting.size === 0 && this.#busy === 0) {
      this.#resolveDrained();
      this.#resolveDrained = undefined;
    }
  }

  #shed(reason: 'queue-full' | 'deadline', priority: Priority): void {
    if (this.#hooks.onShed !== undefined) this.#hook(() => this.#hooks.onShed?.(reason, priority));
  }

  #hook(call: () => void): void {
    try {
      call();
    } catch (error) {
      process.emitWarning(
        `A scheduler hook of model "${this.#name}" threw: ${String(error)}`,
        'TachyonSchedulerWarning',
      );
    }
  }

  #queueFull(message: string): TachyonError {
    return new TachyonError('TCH_ERR_QUEUE_FULL', message, {
      details: { model: this.#name, maxQueueSize: this.#config.maxQueueSize, queued: this.#waiting.size },
    });
  }

  #deadlineError(when: string): TachyonError {
    return new TachyonError(
      'TCH_ERR_DEADLINE_EXCEEDED',
      `The request to model "${this.#name}" passed its deadline ${when}.`,
      { details: { model: this.#name } },
    );
  }

  #unloading(message: string): TachyonError {
    return new TachyonError('TCH_ERR_MODEL_UNLOADING', message, { details: { model: this.#name } });
  }
}
