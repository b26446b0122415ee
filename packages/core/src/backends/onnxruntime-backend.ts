import { access } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { TachyonError } from '@tachyon/protocol';
import type { TensorMap } from '../tensor/tensor.js';
import type { InferenceSession, IoSpec, ProviderAttempt, RunOptions } from './backend.js';
import {
  compileSessionOptions,
  compileWorkerPoolOptions,
  type ExecutionProvider,
  type SessionConfig,
  type SessionOptions,
  type WorkerPoolConfig,
  type WorkerPoolOptions,
} from './session-options.js';
import { validateFeeds } from './validate-feeds.js';
import type { WorkerReply, WorkerRequest } from './worker-messages.js';

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}
interface SessionWorker {
  thread: Worker;
  pending: Map<number, Pending>;
  /** Resolves when every open session is loaded in this worker (after a respawn). */
  ready: Promise<void>;
}
interface SessionRecord {
  modelPath: string;
  config: SessionConfig;
}

const WORKER_URL = new URL('./onnxruntime-worker.js', import.meta.url);

/**
 * The onnxruntime backend: a pool of worker threads, each hosting every session, each running one inference at a
 * time with `intraOpThreads` threads, so the process never uses more threads than its budget.
 */
export class OnnxRuntimeBackend {
  readonly name = 'onnxruntime';
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
      throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Model file "${modelPath}" does not exist or cannot be read.`, { details: { path: modelPath } });
    }
    const sessionId = this.#nextId++;
    const replies = await Promise.allSettled(this.#workers.map((w) => this.#request(w, { type: 'load', sessionId, modelPath, config })));
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

  /** Runs on the worker with the fewest requests in flight. */
  async run(sessionId: number, feeds: TensorMap, transfer: boolean): Promise<TensorMap> {
    if (!this.#sessions.has(sessionId)) throw new TachyonError('TCH_ERR_SESSION_CLOSED', 'The session is closed.');
    let worker = this.#workers[0]!;
    for (const w of this.#workers) if (w.pending.size < worker.pending.size) worker = w;
    await worker.ready;
    const buffers = transfer ? transferableBuffers(feeds) : [];
    const reply = await this.#request(worker, { type: 'run', sessionId, feeds }, buffers);
    if (reply.type !== 'result') throw new TypeError('unexpected worker reply');
    return reply.outputs;
  }

  async closeSession(sessionId: number): Promise<void> {
    if (!this.#sessions.delete(sessionId)) return;
    await Promise.allSettled(this.#workers.map((w) => this.#request(w, { type: 'unload', sessionId })));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sessions.clear();
    await Promise.all(this.#workers.map((w) => w.thread.terminate()));
  }

  #spawn(): SessionWorker {
    const thread = new Worker(WORKER_URL, { workerData: { intraOpThreads: this.config.intraOpThreads } });
    thread.unref();
    const worker: SessionWorker = { thread, pending: new Map(), ready: Promise.resolve() };
    thread.on('message', (reply: WorkerReply) => {
      const pending = worker.pending.get(reply.id);
      if (!pending) return;
      worker.pending.delete(reply.id);
      if (worker.pending.size === 0) thread.unref();
      if (reply.type === 'error') pending.reject(TachyonError.fromJSON(reply.error));
      else pending.resolve(reply);
    });
    const onDeath = (reason: string) => {
      const index = this.#workers.indexOf(worker);
      if (index < 0) return;
      const error = new TachyonError('TCH_ERR_WORKER_CRASHED', `A session worker exited unexpectedly: ${reason}`);
      for (const pending of worker.pending.values()) pending.reject(error);
      worker.pending.clear();
      if (this.#closed) return;
      const replacement = this.#spawn();
      replacement.ready = this.#reload(replacement);
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
      worker.pending.set(id, { resolve, reject });
      worker.thread.ref();
      worker.thread.postMessage({ ...body, id }, transfer);
    });
  }
}

class PooledSession implements InferenceSession {
  #closed = false;
  constructor(
    private readonly backend: OnnxRuntimeBackend,
    private readonly sessionId: number,
    readonly inputs: readonly IoSpec[],
    readonly outputs: readonly IoSpec[],
    readonly provider: ExecutionProvider,
    readonly fallbacks: readonly ProviderAttempt[],
  ) {}

  async run(feeds: TensorMap, options: RunOptions = {}): Promise<TensorMap> {
    if (this.#closed) throw new TachyonError('TCH_ERR_SESSION_CLOSED', 'The session is closed.');
    validateFeeds(this.inputs, feeds);
    return this.backend.run(this.sessionId, feeds, options.transfer ?? false);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.backend.closeSession(this.sessionId);
  }
}

function transferableBuffers(feeds: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(feeds)) {
    if (t.data.buffer instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength) {
      buffers.add(t.data.buffer);
    }
  }
  return [...buffers];
}
