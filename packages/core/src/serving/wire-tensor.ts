import { TachyonError, formatClassification } from '@tachyon-serve/protocol';
import { DTYPES, elementCount, type DType } from '../tensor/dtypes.js';
import type { TensorData } from '../tensor/tensor.js';
import type { TopKEntry } from '../labels/top-k.js';
import type { Datatype, InferTensor } from './infer-types.js';

/** KServe v2 datatype <-> the runtime's dtype (BYTES has no runtime dtype: it carries encoded images). */
const DTYPE_OF: Readonly<Record<Exclude<Datatype, 'BYTES'>, DType>> = Object.freeze({
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
});
const DATATYPE_OF = new Map<DType, Datatype>(Object.entries(DTYPE_OF).map(([k, v]) => [v, k as Datatype]));

export function datatypeOf(dtype: DType): Datatype {
  return DATATYPE_OF.get(dtype)!;
}

/**
 * A request tensor as the runtime's tensor, checked against what the model declares for that input (dtype, rank,
 * fixed dims, element count): each mismatch is its own code, named with the input.
 */
export function toTensorData(tensor: InferTensor, expected: { dtype: DType; dims: readonly number[] }): TensorData {
  const { name } = tensor;
  const dtype = tensor.datatype === 'BYTES' ? undefined : DTYPE_OF[tensor.datatype];
  if (dtype !== expected.dtype) {
    throw new TachyonError(
      'TCH_ERR_TENSOR_DTYPE_MISMATCH',
      `Input "${name}" must be ${datatypeOf(expected.dtype)}, got ${tensor.datatype}.`,
      {
        details: { input: name, expected: datatypeOf(expected.dtype), actual: tensor.datatype },
      },
    );
  }
  const fits =
    tensor.shape.length === expected.dims.length &&
    tensor.shape.every(
      (d, i) => Number.isSafeInteger(d) && d >= 0 && (expected.dims[i]! < 0 || expected.dims[i] === d),
    );
  if (!fits) {
    throw new TachyonError(
      'TCH_ERR_TENSOR_SHAPE_MISMATCH',
      `Input "${name}" must have shape [${expected.dims.join(', ')}], got [${tensor.shape.join(', ')}].`,
      {
        details: { input: name, expected: expected.dims, actual: tensor.shape },
      },
    );
  }
  const count = elementCount(tensor.shape);
  if (tensor.data.length !== count) {
    throw new TachyonError(
      'TCH_ERR_TENSOR_SHAPE_MISMATCH',
      `Input "${name}" has ${tensor.data.length} elements but shape [${tensor.shape.join(', ')}] needs ${count}.`,
      {
        details: { input: name, shape: tensor.shape, elements: tensor.data.length },
      },
    );
  }
  return { dtype, dims: [...tensor.shape], data: toTypedArray(dtype, tensor.data as ArrayLike<number>) };
}

function toTypedArray(dtype: DType, data: ArrayLike<number>): TensorData['data'] {
  const Ctor = DTYPES[dtype];
  if (data instanceof Ctor) return data as TensorData['data'];
  if (dtype === 'int64' || dtype === 'uint64') {
    const out = dtype === 'int64' ? new BigInt64Array(data.length) : new BigUint64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.trunc(Number(data[i])));
    return out;
  }
  if (dtype === 'bool') return Uint8Array.from(data, (v) => (v ? 1 : 0));
  return (Ctor as Float32ArrayConstructor).from(data);
}

/** A runtime output as a response tensor; 64-bit integers become numbers (exact up to 2^53). */
export function fromTensorData(name: string, tensor: TensorData): InferTensor {
  const data =
    tensor.data instanceof BigInt64Array || tensor.data instanceof BigUint64Array
      ? Array.from(tensor.data, Number)
      : tensor.data;
  return { name, datatype: datatypeOf(tensor.dtype), shape: [...tensor.dims], data };
}

/**
 * The KServe classification extension's output: typed top-k records per row, and (built only when an encoder reads
 * `data`) the BYTES elements "score:index:label" the wire carries.
 */
export function classificationTensor(name: string, top: TopKEntry[][], k: number): InferTensor {
  let data: Uint8Array[] | undefined;
  return {
    name,
    datatype: 'BYTES',
    shape: [top.length, k],
    top,
    get data(): Uint8Array[] {
      data ??= top.flatMap((row) => row.map((entry) => Buffer.from(formatClassification(entry))));
      return data;
    },
  };
}
