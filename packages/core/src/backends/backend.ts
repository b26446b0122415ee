import type { DType } from '../tensor/dtypes.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { ExecutionProvider, SessionOptions, WorkerPoolConfig } from './session-options.js';

/** One model input or output as the runtime reports it; -1 marks a dynamic dimension. */
export interface IoSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
}

/** Why one execution provider could not create the session. */
export interface ProviderAttempt {
  readonly provider: ExecutionProvider;
  readonly reason: string;
}

export interface RunOptions {
  /**
   * Hand the input buffers over instead of copying them: large inputs are transferred to the worker (the caller's
   * arrays are detached), small ones go through the shared arena and are left as they were. Use for tensors the
   * caller does not need again. @default false
   */
  transfer?: boolean;
}

/** A loaded model, ready to run (it has been warmed up). */
export interface InferenceSession {
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  /** The execution provider that created the session. */
  readonly provider: ExecutionProvider;
  /** Providers tried before `provider`, with their failure reasons. */
  readonly fallbacks: readonly ProviderAttempt[];
  /** Checks every feed against `inputs` (names, dtype, dims), then runs the model. */
  run(feeds: TensorMap, options?: RunOptions): Promise<TensorMap>;
  close(): Promise<void>;
}

/**
 * A runtime that loads models into sessions: onnxruntime on the CPU today (`onnxruntime-cpu`), another engine or
 * device tomorrow. Every caller types against this interface and gets an instance from `createBackend()`, which
 * picks a registered backend by priority (backend-registry.ts).
 */
export interface Backend {
  /** The name it is registered under. */
  readonly name: string;
  /** Its worker pool: `workers` is how many runs it can do at once (the scheduler's concurrency). */
  readonly config: WorkerPoolConfig;
  /** Loads (and warms up) a model; the session checks every call's inputs. */
  createSession(modelPath: string, options?: SessionOptions): Promise<InferenceSession>;
  /** Releases the sessions and threads; waits for runs in flight. */
  close(): Promise<void>;
}
