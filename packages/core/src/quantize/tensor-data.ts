import { create } from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import { toInt, type OnnxTensorProto } from '../graph/onnx-model.js';
import { TensorProtoSchema } from '../graph/proto/onnx/onnx_pb.js';

/** TensorProto.DataType numbers used by the quantizer. */
export const ELEM = Object.freeze({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 });

export function dimsOf(tensor: OnnxTensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toInt(d));
}

/** The values of a float32 initializer (raw little-endian bytes or float_data), as a fresh array. */
export function readFloats(tensor: OnnxTensorProto): Float32Array {
  if (tensor.dataType !== ELEM.FLOAT) {
    throw new TachyonError('TCH_ERR_GRAPH_INVALID', `Tensor "${tensor.name}" is not float32.`, {
      details: { name: tensor.name, dataType: tensor.dataType },
    });
  }
  const count = dimsOf(tensor).reduce((a, b) => a * b, 1);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count * 4) throw badSize(tensor, raw.length / 4, count);
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const values = tensor.floatData ?? [];
  if (values.length !== count) throw badSize(tensor, values.length, count);
  return Float32Array.from(values);
}

/** Integer values of an int64/int32 initializer (Constant pads, shapes). */
export function readInts(tensor: OnnxTensorProto): number[] {
  const raw = tensor.rawData;
  if (tensor.dataType === ELEM.INT64) {
    if (raw && raw.length > 0) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      return Array.from({ length: raw.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return (tensor.int64Data ?? []).map((v) => toInt(v));
  }
  if (tensor.dataType === ELEM.INT32) {
    if (raw && raw.length > 0) return Array.from(new Int32Array(raw.slice().buffer));
    return [...(tensor.int32Data ?? [])];
  }
  throw new TachyonError('TCH_ERR_GRAPH_INVALID', `Tensor "${tensor.name}" is not an integer tensor.`, {
    details: { name: tensor.name },
  });
}

export function floatTensor(
  name: string,
  dims: readonly number[],
  values: Float32Array | readonly number[],
): OnnxTensorProto {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return create(TensorProtoSchema, { name, dataType: ELEM.FLOAT, dims: dims.map(BigInt), rawData: bytesOf(data) });
}

export function int8Tensor(name: string, dims: readonly number[], values: Int8Array): OnnxTensorProto {
  return create(TensorProtoSchema, { name, dataType: ELEM.INT8, dims: dims.map(BigInt), rawData: bytesOf(values) });
}

export function uint8Tensor(name: string, dims: readonly number[], values: Uint8Array): OnnxTensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType: ELEM.UINT8,
    dims: dims.map(BigInt),
    rawData: new Uint8Array(values),
  });
}

export function int32Tensor(name: string, dims: readonly number[], values: Int32Array): OnnxTensorProto {
  return create(TensorProtoSchema, { name, dataType: ELEM.INT32, dims: dims.map(BigInt), rawData: bytesOf(values) });
}

function bytesOf(a: Float32Array | Int8Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function badSize(tensor: OnnxTensorProto, got: number, expected: number): TachyonError {
  return new TachyonError(
    'TCH_ERR_GRAPH_INVALID',
    `Tensor "${tensor.name}" holds ${got} values where its dims need ${expected}.`,
    {
      details: { name: tensor.name, got, expected },
    },
  );
}
