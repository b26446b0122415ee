/** The dtype table: tensor element type names (onnxruntime's spelling) and their typed-array constructors. */
export const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  float16: Uint16Array,
} as const;

export type DType = keyof typeof DTYPES;
export type TypedArray = InstanceType<(typeof DTYPES)[DType]>;

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPES, value);
}

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}
