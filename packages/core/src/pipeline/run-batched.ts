import type { InferenceSession } from '../backends/backend.js';
import type { TensorData, TensorMap } from '../tensor/tensor.js';
import { concatRows } from '../tensor/tensor-rows.js';

/**
 * Runs a batch of `n` items: in one call when every input takes a dynamic batch dimension, else item by item
 * (models exported with batch 1, such as the zoo's DenseNet-121 and VGG-16), concatenating the outputs.
 * `transfer` moves the feeds' buffers to the worker instead of copying them (they are detached afterwards).
 */
export async function runBatched(
  session: InferenceSession,
  feeds: TensorMap,
  n: number,
  transfer: boolean,
): Promise<TensorMap> {
  const fixed = session.inputs.some((input) => input.dims[0] !== -1 && input.dims[0] !== n);
  if (!fixed || n === 1) return session.run(feeds, { transfer });
  const parts: TensorMap[] = [];
  for (let i = 0; i < n; i++) {
    const item: TensorMap = {};
    for (const [name, t] of Object.entries(feeds)) item[name] = slice(t, i, n);
    // Each slice is a fresh copy, so it can always move to the worker.
    parts.push(await session.run(item, { transfer: true }));
  }
  const outputs: TensorMap = {};
  for (const name of Object.keys(parts[0]!)) outputs[name] = concatRows(parts.map((p) => p[name]!));
  return outputs;
}

function slice(t: TensorData, index: number, n: number): TensorData {
  const per = t.data.length / n;
  return {
    dtype: t.dtype,
    dims: [1, ...t.dims.slice(1)],
    data: t.data.slice(index * per, (index + 1) * per) as TensorData['data'],
  };
}
