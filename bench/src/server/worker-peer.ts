// The plain-handler peer of issue 15 (b): what a user would write to keep session.run off the event loop without
// tachyon: tachyon's preprocessImage in the calling thread, onnxruntime-node in one worker_threads Worker (input
// and logits transferred with postMessage), softmax + top-k back in the calling thread.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { compileWorkerPoolOptions, preprocessImage, type PreprocessConfig } from '@tachyon-serve/core';
import { topKOf, softmax, type PeerTop } from './raw-peer.js';

export interface WorkerPeerOptions {
  modelPath: string;
  input: string;
  output: string;
  preprocess: PreprocessConfig;
  labels: readonly string[];
  outputKind: 'logits' | 'probabilities';
  /** @default os.availableParallelism() */
  intraOpNumThreads?: number;
  /** @default tachyon's (compileWorkerPoolOptions().intraOpSpinning) */
  intraOpSpinning?: boolean;
}

export class WorkerPeerClassifier {
  readonly #pending = new Map<number, (out: Float32Array) => void>();
  #nextId = 1;

  private constructor(
    private readonly worker: Worker,
    private readonly options: WorkerPeerOptions,
  ) {
    worker.on('message', (reply: { id: number; out: Float32Array }) => {
      const resolve = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      resolve?.(reply.out);
    });
  }

  static async create(options: WorkerPeerOptions): Promise<WorkerPeerClassifier> {
    const worker = new Worker(new URL('./worker-peer-thread.js', import.meta.url), {
      workerData: {
        modelPath: options.modelPath,
        input: options.input,
        output: options.output,
        intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
        intraOpSpinning: options.intraOpSpinning ?? compileWorkerPoolOptions().intraOpSpinning,
      },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new WorkerPeerClassifier(worker, options);
  }

  async classify(bytes: Uint8Array, k = 5): Promise<PeerTop[]> {
    const { data, dims } = await preprocessImage(bytes, this.options.preprocess);
    const id = this.#nextId++;
    const scores = await new Promise<Float32Array>((resolve) => {
      this.#pending.set(id, resolve);
      this.worker.postMessage({ id, data, dims }, [data.buffer as ArrayBuffer]);
    });
    return topKOf(this.options.outputKind === 'logits' ? softmax(scores) : scores, k, this.options.labels);
  }

  async release(): Promise<void> {
    await this.worker.terminate();
  }
}
