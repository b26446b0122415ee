import { availableParallelism } from 'node:os';
import { TachyonError } from '@tachyon-serve/protocol';

export const EXECUTION_PROVIDERS = ['tensorrt', 'cuda', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

/** How a model is loaded: user-facing, every field optional. */
export interface SessionOptions {
  /** Execution providers in priority order; the first that initializes is used, failures are aggregated. @default ['cpu'] */
  executionProviders?: readonly ExecutionProvider[];
  /** onnxruntime graph optimization level. @default 'all' */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** Warm-up runs (zeros, dynamic dims = 1) in each worker before the session reports ready. @default 1 */
  warmupRuns?: number;
}

export interface SessionConfig {
  readonly executionProviders: readonly ExecutionProvider[];
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly warmupRuns: number;
}

export const SESSION_DEFAULTS: SessionConfig = Object.freeze({
  executionProviders: Object.freeze(['cpu'] as const),
  graphOptimizationLevel: 'all',
  warmupRuns: 1,
});

export function compileSessionOptions(options: SessionOptions = {}): SessionConfig {
  const executionProviders = options.executionProviders ?? SESSION_DEFAULTS.executionProviders;
  if (executionProviders.length === 0) throw new RangeError('executionProviders: give at least one provider');
  for (const ep of executionProviders) {
    if (!EXECUTION_PROVIDERS.includes(ep)) {
      throw new TypeError(
        `executionProviders: unknown provider ${JSON.stringify(ep)} (known: ${EXECUTION_PROVIDERS.join(', ')})`,
      );
    }
  }
  const graphOptimizationLevel = options.graphOptimizationLevel ?? SESSION_DEFAULTS.graphOptimizationLevel;
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(graphOptimizationLevel)) {
    throw new TypeError(`graphOptimizationLevel: expected one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}`);
  }
  const warmupRuns = options.warmupRuns ?? SESSION_DEFAULTS.warmupRuns;
  if (!Number.isInteger(warmupRuns) || warmupRuns < 0) throw new RangeError('warmupRuns: expected an integer >= 0');
  return Object.freeze({
    executionProviders: Object.freeze([...executionProviders]),
    graphOptimizationLevel,
    warmupRuns,
  });
}

/** The process's thread budget: how many workers run sessions, and the intra-op threads each may use. */
export interface WorkerPoolOptions {
  /** Worker threads; each hosts every session of the pool and runs one inference at a time. @default 1 */
  workers?: number;
  /** onnxruntime intra-op threads per worker. @default floor(cores / workers), at least 1 */
  intraOpThreads?: number;
  /** Allow workers x intraOpThreads to exceed the cores (they then compete for them). @default false */
  oversubscribe?: boolean;
  /** The cores the budget is drawn from. @default os.availableParallelism() */
  cores?: number;
  /**
   * How runs reach the workers: `'shared'` writes the inputs into a per-worker SharedArrayBuffer arena and signals
   * with Atomics (no message per run; see docs/runtime.md), `'message'` posts every run with postMessage.
   * @default 'shared'
   */
  transport?: WorkerTransport;
  /**
   * Whether onnxruntime's intra-op threads busy-wait for work between and after parallel sections
   * (`session.intra_op.allow_spinning`). Spinning saves a wake-up per operator but keeps a core busy after every
   * run, so on a machine with few cores the next request's preprocessing (main thread, libuv and libvips threads)
   * competes with it. `TACHYON_INTRA_OP_SPINNING=1` (or `0`) sets the default, for A/B measurements.
   * @default false, unless TACHYON_INTRA_OP_SPINNING says otherwise
   */
  intraOpSpinning?: boolean;
}

export const WORKER_TRANSPORTS = ['shared', 'message'] as const;
export type WorkerTransport = (typeof WORKER_TRANSPORTS)[number];

export interface WorkerPoolConfig {
  readonly workers: number;
  readonly intraOpThreads: number;
  readonly cores: number;
  readonly transport: WorkerTransport;
  readonly intraOpSpinning: boolean;
}

export function compileWorkerPoolOptions(options: WorkerPoolOptions = {}): WorkerPoolConfig {
  const cores = options.cores ?? availableParallelism();
  const workers = options.workers ?? 1;
  if (!Number.isInteger(cores) || cores < 1) throw new RangeError('cores: expected an integer >= 1');
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('workers: expected an integer >= 1');
  const intraOpThreads = options.intraOpThreads ?? Math.max(1, Math.floor(cores / workers));
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1)
    throw new RangeError('intraOpThreads: expected an integer >= 1');
  if (workers * intraOpThreads > cores && options.oversubscribe !== true) {
    throw new RangeError(
      `workers x intraOpThreads = ${workers * intraOpThreads} exceeds the ${cores} cores of the thread budget; lower them or set oversubscribe: true`,
    );
  }
  const transport = options.transport ?? 'shared';
  if (!WORKER_TRANSPORTS.includes(transport))
    throw new TypeError(`transport: expected one of ${WORKER_TRANSPORTS.join(', ')}`);
  const intraOpSpinning = options.intraOpSpinning ?? spinningFromEnv(process.env['TACHYON_INTRA_OP_SPINNING']);
  if (typeof intraOpSpinning !== 'boolean') throw new TypeError('intraOpSpinning: expected a boolean');
  return Object.freeze({ workers, intraOpThreads, cores, transport, intraOpSpinning });
}

function spinningFromEnv(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (value === '1' || value === '0') return value === '1';
  throw new TachyonError(
    'TCH_ERR_CONFIG_INVALID',
    `Environment variable "TACHYON_INTRA_OP_SPINNING" must be "0" or "1", not ${JSON.stringify(value)}.`,
  );
}
