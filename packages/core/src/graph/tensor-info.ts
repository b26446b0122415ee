import { create } from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import { ValueInfoProtoSchema } from './proto/onnx/onnx_pb.js';
import { isDType, type DType } from '../tensor/dtypes.js';
import { toInt, type OnnxValueInfo } from './onnx-model.js';

/** A tensor's name, element type (onnxruntime spelling) and dims; -1 marks a dynamic dimension. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  dims: readonly number[];
}

/** TensorProto.DataType numbers of the dtypes tachyon runs (string, complex and bfloat16 have no DType). */
const ELEM_TYPES: Readonly<Record<DType, number>> = Object.freeze({
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
});

const DTYPE_BY_ELEM = new Map<number, DType>(Object.entries(ELEM_TYPES).map(([d, e]) => [e, d as DType]));

export function elemTypeOf(dtype: DType): number {
  return ELEM_TYPES[dtype];
}

export function dtypeOfElemType(elemType: number): DType | undefined {
  return DTYPE_BY_ELEM.get(elemType);
}

/** A graph input/output declaration; -1 dims become unnamed dynamic dimensions. */
export function toValueInfo(info: TensorInfo): OnnxValueInfo {
  const dim = info.dims.map((d) => (d >= 0 ? { value: { case: 'dimValue' as const, value: BigInt(d) } } : {}));
  return create(ValueInfoProtoSchema, {
    name: info.name,
    type: { value: { case: 'tensorType', value: { elemType: elemTypeOf(info.dtype), shape: { dim } } } },
  });
}

/**
 * A float32 graph input/output declaration for hand-built models: a number is a fixed dimension, a string a named
 * dynamic one (`floatValueInfo('x', ['N', 3, 8, 8])`).
 */
export function floatValueInfo(name: string, dims: readonly (number | string)[]): OnnxValueInfo {
  if (typeof name !== 'string' || name === '') throw new TypeError('name must be a non-empty string.');
  if (!Array.isArray(dims)) throw new TypeError('dims must be an array of integers and dimension names.');
  const dim = dims.map((d, i) => {
    if (typeof d === 'string' && d !== '') return { value: { case: 'dimParam' as const, value: d } };
    if (Number.isSafeInteger(d) && (d as number) >= 0)
      return { value: { case: 'dimValue' as const, value: BigInt(d) } };
    throw new TypeError(`dims[${i}] must be an integer >= 0 or a non-empty dimension name, not ${JSON.stringify(d)}.`);
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: { value: { case: 'tensorType', value: { elemType: ELEM_TYPES.float32, shape: { dim } } } },
  });
}

/** The TensorInfo a value info declares, when it declares a tensor of a known dtype (shape may be partial: -1). */
export function fromValueInfo(valueInfo: OnnxValueInfo): TensorInfo | undefined {
  const type = valueInfo.type?.value;
  const tensorType = type?.case === 'tensorType' ? type.value : undefined;
  const dtype = tensorType ? dtypeOfElemType(tensorType.elemType) : undefined;
  if (!tensorType || dtype === undefined) return undefined;
  const dims = (tensorType.shape?.dim ?? []).map((d) => (d.value.case === 'dimValue' ? toInt(d.value.value) : -1));
  return { name: valueInfo.name, dtype, dims };
}

/** Checks a TensorInfo[] argument (TypeError/RangeError naming the element) and refuses duplicate names. */
export function validateTensorInfos(infos: readonly TensorInfo[], argument: string): void {
  if (!Array.isArray(infos)) throw new TypeError(`${argument} must be an array of TensorInfo.`);
  const seen = new Set<string>();
  infos.forEach((info, i) => {
    const at = `${argument}[${i}]`;
    if (typeof info !== 'object' || info === null) throw new TypeError(`${at} must be a TensorInfo object.`);
    if (typeof info.name !== 'string' || info.name === '')
      throw new TypeError(`${at}.name must be a non-empty string.`);
    if (!isDType(info.dtype))
      throw new TypeError(`${at}.dtype must be a dtype name such as 'float32', not ${JSON.stringify(info.dtype)}.`);
    if (!Array.isArray(info.dims)) throw new TypeError(`${at}.dims must be an array of integers.`);
    if (!info.dims.every((d: number) => Number.isSafeInteger(d) && d >= -1)) {
      throw new RangeError(`${at}.dims must hold integers >= -1 (-1: dynamic), not [${info.dims.join(', ')}].`);
    }
    if (seen.has(info.name)) throw new RangeError(`${at}.name "${info.name}" is given twice.`);
    seen.add(info.name);
  });
}

/** Checks a tensor-name array argument: non-empty strings, no duplicates, at least one. */
export function validateTensorNames(names: readonly string[], argument: string): void {
  if (!Array.isArray(names)) throw new TypeError(`${argument} must be an array of tensor names.`);
  if (names.length === 0) throw new RangeError(`${argument} must name at least one tensor.`);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${argument}[${i}] must be a non-empty string.`);
    if (seen.has(name)) throw new RangeError(`${argument}[${i}] "${name}" is given twice.`);
    seen.add(name);
  });
}

export function tensorNotFound(name: string, where: string): TachyonError {
  return new TachyonError('TCH_ERR_GRAPH_TENSOR_NOT_FOUND', `Tensor "${name}" is not produced or used in ${where}.`, {
    details: { name },
  });
}
