import { DTYPES, elementCount, isDType, type DType, type TypedArray } from './dtypes.js';

/** A plain tensor: what crosses worker threads, stages and protocols. */
export interface TensorData {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TypedArray;
}

export type TensorMap = Record<string, TensorData>;

/** Builds a tensor, checking that dims are non-negative integers and that `data` matches dtype and size. */
export function buildTensor(dtype: DType, dims: readonly number[], data: TypedArray): TensorData {
  if (!isDType(dtype)) throw new TypeError(`dtype: unknown dtype ${JSON.stringify(dtype)}`);
  if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`dims: every dimension must be a non-negative integer, got [${dims.join(', ')}]`);
  }
  if (!(data instanceof DTYPES[dtype])) {
    throw new TypeError(`data: a ${dtype} tensor needs a ${DTYPES[dtype].name}, got ${data.constructor.name}`);
  }
  if (data.length !== elementCount(dims)) {
    throw new RangeError(`data: [${dims.join(', ')}] needs ${elementCount(dims)} elements, got ${data.length}`);
  }
  return { dtype, dims: [...dims], data };
}
