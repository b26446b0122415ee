import { TachyonError } from '@tachyon-serve/protocol';
import type { InferenceSession } from '../backends/backend.js';
import type { PipelineTimings } from '../pipeline/service-pipeline.js';
import type { TensorMap } from '../tensor/tensor.js';
import { concatRows, sliceRows } from '../tensor/tensor-rows.js';
import type { InferTensor, TensorMetadata } from './infer-types.js';
import { checkRows } from './image-runner.js';
import type { Prepared, RequestRunner } from './request-runner.js';
import { datatypeOf, toTensorData } from './wire-tensor.js';

/**
 * Any ONNX graph served exactly as declared: inputs and outputs by the graph's names, dtypes and shapes. When every
 * input has a dynamic first dimension, requests are batched along it; otherwise each request runs on its own.
 */
export class TensorRunner implements RequestRunner {
  readonly kind = 'tensor';
  readonly batchable: boolean;

  constructor(readonly session: InferenceSession) {
    this.batchable =
      session.inputs.every((i) => i.dims.length > 0 && i.dims[0]! < 0) &&
      session.outputs.every((o) => o.dims.length > 0 && o.dims[0]! < 0);
  }

  metadata(): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
    const spec = (s: {
      name: string;
      dtype: Parameters<typeof datatypeOf>[0];
      dims: readonly number[];
    }): TensorMetadata => ({
      name: s.name,
      datatype: datatypeOf(s.dtype),
      shape: [...s.dims],
    });
    return { inputs: this.session.inputs.map(spec), outputs: this.session.outputs.map(spec) };
  }

  defaultOutputs(): string[] {
    return this.session.outputs.map((o) => o.name);
  }

  accept(inputs: readonly InferTensor[], maxRows: number): { rows: number; prepare: () => Promise<Prepared> } {
    const expected = this.session.inputs;
    for (const input of inputs) {
      if (!expected.some((e) => e.name === input.name) || inputs.filter((i) => i.name === input.name).length > 1) {
        throw new TachyonError(
          'TCH_ERR_TENSOR_INPUT_UNKNOWN',
          `The model has no input named "${input.name}" (or it was given twice).`,
          {
            details: { input: input.name, expected: expected.map((e) => e.name) },
          },
        );
      }
    }
    const tensors: TensorMap = {};
    for (const spec of expected) {
      const input = inputs.find((i) => i.name === spec.name);
      if (!input)
        throw new TachyonError('TCH_ERR_TENSOR_INPUT_MISSING', `Input "${spec.name}" is missing.`, {
          details: { input: spec.name },
        });
      tensors[spec.name] = toTensorData(input, spec);
    }
    const rows = this.batchable ? tensors[expected[0]!.name]!.dims[0]! : 1;
    if (this.batchable) {
      const mismatch = expected.find((e) => tensors[e.name]!.dims[0] !== rows);
      if (mismatch || rows < 1) {
        throw new TachyonError(
          'TCH_ERR_TENSOR_SHAPE_MISMATCH',
          'Every input must have the same number of rows (>= 1) in its first dimension.',
          {
            details: { rows: Object.fromEntries(expected.map((e) => [e.name, tensors[e.name]!.dims[0]])) },
          },
        );
      }
      checkRows(rows, maxRows);
    }
    return { rows, prepare: async () => ({ rows, tensors }) };
  }

  async execute(batch: Prepared[], timings: PipelineTimings): Promise<TensorMap[]> {
    const started = performance.now();
    try {
      if (!this.batchable || batch.length === 1) {
        const results: TensorMap[] = [];
        for (const p of batch) results.push(await this.session.run(p.tensors, { transfer: true }));
        return results;
      }
      const feeds: TensorMap = {};
      for (const { name } of this.session.inputs) feeds[name] = concatRows(batch.map((p) => p.tensors[name]!));
      const outputs = await this.session.run(feeds, { transfer: true });
      let offset = 0;
      return batch.map((p) => {
        const part: TensorMap = {};
        for (const [name, t] of Object.entries(outputs)) part[name] = sliceRows(t, offset, p.rows);
        offset += p.rows;
        return part;
      });
    } finally {
      timings.computeMs += performance.now() - started;
    }
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
