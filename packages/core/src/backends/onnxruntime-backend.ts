import { access } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { TachyonError } from '@tachyon-serve/protocol';
import type { TensorMap } from '../tensor/tensor.js';
import type { Backend, InferenceSession, IoSpec, ProviderAttempt, RunOptions } from './backend.js';
import {
  compileSessionOptions,
  compileWorkerPoolOptions,
  type ExecutionProvider,
  type SessionConfig,
  type SessionOptions,
  type WorkerPoolConfig,
  type WorkerPoolOptions,
} from './session-options.js';
import { SharedRunChannel, type ChannelOutcome } from './shared-channel.js';
import { validateFeeds } from './validate-feeds.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-messages.js';

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}
interface SessionWorker {
  thread: Worker;
  /** Every request in flight on this worker, by id: messages and shared-channel runs alike. */
  pending: Map<number, Pending>;
  channel: SharedRunChannel;
  /** Resolves when every open session is loaded in this worker (after a respawn); undefined once it has. */
  ready: Promise<void> | undefined;
}
interface SessionRecord {
  modelPath: string;
  config: SessionConfig;
}

/** How long close() waits for runs in flight before it terminates the workers anyway. */
const CLOSE_WAIT_MS = 10_000;
const WORKER_URL = new URL('./onnxruntime-worker.js', import.meta.url);

/**
 * With `transfer: true`, inputs up to this many bytes in all still go through the shared arena; larger ones are
 * transferred by message, which copies nothing. Measured on mobilenetv2-int8 (602 KB input): through the arena (two
 * copies) about 50 us slower than the message transfer, while a copied input is about 250 us faster (docs/runtime.md).
 */
export const TRANSFER_THROUGH_ARENA_MAX_BYTES = 64 * 1024;

/**
 * The onnxruntime backend: a pool of worker threads, each hosting every session, each running one inference at a
 * time with `intraOpThreads` threads, so the process never uses more threads than its budget.
 */
export class OnnxRuntimeBackend implements Backend {
  readonly name = 'onnxruntime-cpu';
  readonly config: WorkerPoolConfig;
  #workers: SessionWorker[];
  #sessions = new Map<number, SessionRecord>();
  #nextId = 1;
  #closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.config = compileWorkerPoolOptions(options);
    this.#workers = Array.from({ length: this.config.workers }, () => this.#spawn());
  }

  /** Loads the model in every worker (warm-up included) and returns a session that validates each call. */
  async createSession(modelPath: string, options: SessionOptions = {}): Promise<InferenceSession> {
    const config = compileSessionOptions(options);
    if (this.#closed) throw new TachyonError('TCH_ERR_SESSION_CLOSED', 'The backend is closed.');
    try {
      await access(modelPath);
    } catch {
      throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Model file "${modelPath}" does not exist or cannot be read.`, {
        details: { path: modelPath },
      });
    }
    const sessionId = this.#nextId++;
    const replies = await Promise.allSettled(
      this.#workers.map((w) => this.#request(w, { type: 'load', sessionId, modelPath, config })),
    );
    const failed = replies.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(this.#workers.map((w) => this.#request(w, { type: 'unload', sessionId })));
      throw failed.reason;
    }
    const loaded = (replies[0] as PromiseFulfilledResult<WorkerReply>).value;
    if (loaded.type !== 'loaded') throw new TypeError('unexpected worker reply');
    this.#sessions.set(sessionId, { modelPath, config });
    return new PooledSession(this, sessionId, loaded.inputs, loaded.outputs, loaded.provider, loaded.fallbacks);
  }

  /**
   * Runs on the worker with the fewest requests in flight: through its shared channel when the transport is
   * 'shared' and the run fits (see TRANSFER_THROUGH_ARENA_MAX_BYTES), else by message. `ordered` holds the feeds in
   * the session's input order, `outputNames` the session's outputs.
   */
  async run(
    sessionId: number,
    feeds: TensorMap,
    ordered: TensorMap[string][],
    outputNames: readonly string[],
    transfer: boolean,
  ): Promise<TensorMap> {
    if (!this.#sessions.has(sessionId)) throw new TachyonError('TCH_ERR_SESSION_CLOSED', 'The session is closed.');
    let worker = this.#workers[0]!;
    for (const w of this.#workers) if (w.pending.size < worker.pending.size) worker = w;
    if (worker.ready) await worker.ready;
    if (this.config.transport === 'shared' && (!transfer || byteLength(ordered) <= TRANSFER_THROUGH_ARENA_MAX_BYTES)) {
      const id = this.#nextId++;
      const outputs = new Promise<WorkerReply>((resolve, reject) => this.#track(worker, id, { resolve, reject }));
      if (worker.channel.trySubmit(sessionId, id, ordered, outputNames)) return resultOf(await outputs);
      // Ring full or too big for the arena: the same run goes by message, under the same id.
      worker.thread.postMessage({ type: 'run', sessionId, feeds, id }, transfer ? transferableBuffers(feeds) : []);
      return resultOf(await outputs);
    }
    return resultOf(
      await this.#request(worker, { type: 'run', sessionId, feeds }, transfer ? transferableBuffers(feeds) : []),
    );
  }

  async closeSession(sessionId: number): Promise<void> {
    if (!this.#sessions.delete(sessionId)) return;
    await Promise.allSettled(this.#workers.map((w) => this.#request(w, { type: 'unload', sessionId })));
  }

  /**
   * Refuses new work, lets the runs in flight finish (at most `CLOSE_WAIT_MS`), then ends the workers. Terminating a
   * worker while onnxruntime runs in it can abort the whole process (seen by the reliability suite), so close waits.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sessions.clear();
    const deadline = performance.now() + CLOSE_WAIT_MS;
    while (this.#workers.some((w) => w.pending.size > 0) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    for (const w of this.#workers) w.channel.close();
    await Promise.all(this.#workers.map((w) => w.thread.terminate()));
  }

  #spawn(): SessionWorker {
    const settle = (id: number, reply: WorkerReply) => {
      const pending = worker.pending.get(id);
      if (!pending) return;
      worker.pending.delete(id);
      if (worker.pending.size === 0) worker.thread.unref();
      if (reply.type === 'error') pending.reject(TachyonError.fromJSON(reply.error));
      else pending.resolve(reply);
    };
    const channel = new SharedRunChannel((id: number, outcome: ChannelOutcome) => {
      // 'by-message': the outputs did not fit the arena and arrive as a message under the same id.
      if (outcome === 'by-message') return;
      settle(
        id,
        'error' in outcome
          ? { type: 'error', id, error: outcome.error }
          : { type: 'result', id, outputs: outcome.outputs },
      );
    });
    const workerData: WorkerInit = {
      intraOpThreads: this.config.intraOpThreads,
      intraOpSpinning: this.config.intraOpSpinning,
      channel: channel.buffers,
    };
    // The default worker stack overflows (SIGSEGV) while onnxruntime creates a session when the process argv is long
    // (~15 KB, e.g. a shell glob of image paths); 32 MB leaves ample room (tested with 64 KB of argv).
    const thread = new Worker(WORKER_URL, { workerData, resourceLimits: { stackSizeMb: 32 } });
    thread.unref();
    const worker: SessionWorker = { thread, pending: new Map(), channel, ready: undefined };
    thread.on('message', (reply: WorkerReply) => settle(reply.id, reply));
    const onDeath = (reason: string) => {
      const index = this.#workers.indexOf(worker);
      if (index < 0) return;
      channel.close();
      const error = new TachyonError('TCH_ERR_WORKER_CRASHED', `A session worker exited unexpectedly: ${reason}`);
      for (const pending of worker.pending.values()) pending.reject(error);
      worker.pending.clear();
      if (this.#closed) return;
      const replacement = this.#spawn();
      const ready = this.#reload(replacement);
      replacement.ready = ready;
      void ready.then(
        () => {
          if (replacement.ready === ready) replacement.ready = undefined;
        },
        () => undefined,
      );
      this.#workers[index] = replacement;
    };
    thread.on('error', (error) => onDeath(error.message));
    thread.on('exit', (code) => onDeath(`exit code ${code}`));
    return worker;
  }

  async #reload(worker: SessionWorker): Promise<void> {
    for (const [sessionId, record] of this.#sessions) {
      await this.#request(worker, { type: 'load', sessionId, modelPath: record.modelPath, config: record.config });
    }
  }

  #request(worker: SessionWorker, body: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#track(worker, id, { resolve, reject });
      worker.thread.postMessage({ ...body, id }, transfer);
    });
  }

  /** Registers a request; the worker keeps the process alive while it has any (waitAsync alone would not). */
  #track(worker: SessionWorker, id: number, pending: Pending): void {
    if (worker.pending.size === 0) worker.thread.ref();
    worker.pending.set(id, pending);
  }
}

class PooledSession implements InferenceSession {
  #closed = false;
  readonly #outputNames: readonly string[];
  constructor(
    private readonly backend: OnnxRuntimeBackend,
    private readonly sessionId: number,
    readonly inputs: readonly IoSpec[],
    readonly outputs: readonly IoSpec[],
    readonly provider: ExecutionProvider,
    readonly fallbacks: readonly ProviderAttempt[],
  ) {
    this.#outputNames = outputs.map((o) => o.name);
  }

  async run(feeds: TensorMap, options?: RunOptions): Promise<TensorMap> {
    if (this.#closed) throw new TachyonError('TCH_ERR_SESSION_CLOSED', 'The session is closed.');
    const ordered = validateFeeds(this.inputs, feeds);
    return this.backend.run(this.sessionId, feeds, ordered, this.#outputNames, options?.transfer === true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.backend.closeSession(this.sessionId);
  }
}

function resultOf(reply: WorkerReply): TensorMap {
  if (reply.type !== 'result') throw new TypeError('unexpected worker reply');
  return reply.outputs;
}

function byteLength(tensors: readonly TensorMap[string][]): number {
  let bytes = 0;
  for (const t of tensors) bytes += t.data.byteLength;
  return bytes;
}

function transferableBuffers(feeds: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(feeds)) {
    if (
      t.data.buffer instanceof ArrayBuffer &&
      t.data.byteOffset === 0 &&
      t.data.byteLength === t.data.buffer.byteLength
    ) {
      buffers.add(t.data.buffer);
    }
  }
  return [...buffers];
}
