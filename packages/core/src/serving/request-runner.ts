import type { PipelineTimings } from '../pipeline/service-pipeline.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { InferTensor, TensorMetadata } from './infer-types.js';

/** One request's tensors, ready to join a batch (rows along the first dimension of every tensor). */
export interface Prepared {
  readonly rows: number;
  readonly tensors: TensorMap;
}

/**
 * What a served model runs: an image pipeline (ImageRunner) or a plain tensor graph (TensorRunner). The served
 * model owns the scheduler around it; a runner only checks inputs, prepares one request and runs one batch.
 */
export interface RequestRunner {
  readonly kind: 'image-classifier' | 'tensor';
  metadata(): { inputs: TensorMetadata[]; outputs: TensorMetadata[] };
  /** Outputs returned when the request names none. */
  defaultOutputs(inputs: readonly InferTensor[]): string[];
  /** Checks the inputs (throws a TachyonError naming the first problem); the returned prepare runs when admitted. */
  accept(
    inputs: readonly InferTensor[],
    maxRows: number,
  ): { rows: number; prepare: (timings: PipelineTimings) => Promise<Prepared> };
  /** Runs a batch; one map of raw outputs per prepared request, in order. Prepared tensors may be consumed. */
  execute(batch: Prepared[], timings: PipelineTimings): Promise<TensorMap[]>;
  close(): Promise<void>;
}
