import { DTYPES } from './dtypes.js';
import type { TensorData } from './tensor.js';

/** Concatenates tensors along the first (batch) dimension; the other dims must agree. One tensor is returned as is. */
export function concatRows(items: readonly TensorData[]): TensorData {
  const first = items[0];
  if (!first) throw new RangeError('items: expected at least one tensor');
  if (items.length === 1) return first;
  const tail = first.dims.slice(1);
  let rows = 0;
  let length = 0;
  for (const t of items) {
    if (
      t.dtype !== first.dtype ||
      t.dims.length !== first.dims.length ||
      t.dims.some((d, i) => i > 0 && d !== tail[i - 1])
    ) {
      throw new RangeError(
        `items: cannot concatenate ${t.dtype}[${t.dims.join(', ')}] with ${first.dtype}[${first.dims.join(', ')}]`,
      );
    }
    rows += t.dims[0]!;
    length += t.data.length;
  }
  const data = new DTYPES[first.dtype](length);
  let offset = 0;
  for (const t of items) {
    (data as { set(a: ArrayLike<number | bigint>, o: number): void }).set(t.data as ArrayLike<number>, offset);
    offset += t.data.length;
  }
  return { dtype: first.dtype, dims: [rows, ...tail], data };
}

/** Rows [start, start + count) of a tensor, as a view on the same buffer (no copy). */
export function sliceRows(t: TensorData, start: number, count: number): TensorData {
  const rows = t.dims[0] ?? 1;
  const per = rows === 0 ? 0 : t.data.length / rows;
  return {
    dtype: t.dtype,
    dims: [count, ...t.dims.slice(1)],
    data: t.data.subarray(start * per, (start + count) * per) as TensorData['data'],
  };
}
