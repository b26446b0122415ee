import {
  KSERVE_ELEMENT_SIZE,
  TachyonError,
  isKServeDatatype,
  rawBytesLength,
  writeRawBytes,
} from '@tachyon-serve/protocol';
import type { Datatype, InferTensor } from '@tachyon-serve/core';

/**
 * The KServe v2 raw tensor layout, shared by gRPC `raw_input_contents`/`raw_output_contents` and the HTTP binary
 * tensor data extension: little-endian, row-major, no padding; BYTES elements each prefixed by a 4-byte length.
 */

/** Bytes per element of each fixed-size KServe v2 datatype (BYTES is variable: length-prefixed elements). */
export const ELEMENT_SIZE: Readonly<Record<Exclude<Datatype, 'BYTES'>, number>> = KSERVE_ELEMENT_SIZE;

export const isDatatype: (value: unknown) => value is Datatype = isKServeDatatype;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Splits Triton's raw BYTES format: each element is a 4-byte little-endian length followed by that many bytes.
 * The elements are views into `raw` (no copy).
 */
export function decodeRawBytes(raw: Uint8Array, input: string): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements: Uint8Array[] = [];
  let offset = 0;
  while (offset < raw.byteLength) {
    if (offset + 4 > raw.byteLength)
      throw malformed(input, `${raw.byteLength - offset} trailing bytes cannot hold a 4-byte length`);
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > raw.byteLength)
      throw malformed(
        input,
        `element ${elements.length} declares ${length} bytes but ${raw.byteLength - offset} remain`,
      );
    elements.push(raw.subarray(offset, offset + length));
    offset += length;
  }
  return elements;
}

export function encodeRawBytes(elements: readonly Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(rawBytesLength(elements));
  writeRawBytes(elements, out, 0);
  return out;
}

/** Decodes one input's raw bytes (little-endian, row-major) into the internal tensor data. */
export function decodeRawTensor(datatype: Datatype, raw: Uint8Array, input: string): Uint8Array[] | ArrayLike<number> {
  if (datatype === 'BYTES') return decodeRawBytes(raw, input);
  const size = ELEMENT_SIZE[datatype];
  if (raw.byteLength % size !== 0)
    throw malformed(
      input,
      `${raw.byteLength} bytes is not a whole number of ${datatype} elements (${size} bytes each)`,
    );
  // Copy: the slice of the gRPC message is not necessarily aligned for a typed array view.
  const bytes = new Uint8Array(raw);
  const count = raw.byteLength / size;
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return bytes;
    case 'INT8':
      return new Int8Array(bytes.buffer, 0, count);
    case 'UINT16':
      return new Uint16Array(bytes.buffer, 0, count);
    case 'INT16':
      return new Int16Array(bytes.buffer, 0, count);
    case 'UINT32':
      return new Uint32Array(bytes.buffer, 0, count);
    case 'INT32':
      return new Int32Array(bytes.buffer, 0, count);
    case 'UINT64':
      return Array.from(new BigUint64Array(bytes.buffer, 0, count), Number);
    case 'INT64':
      return Array.from(new BigInt64Array(bytes.buffer, 0, count), Number);
    case 'FP16':
      // Kept as raw 16-bit patterns: no model input takes FP16 from the wire today; the validator rejects it by name.
      return new Uint16Array(bytes.buffer, 0, count);
    case 'FP32':
      return new Float32Array(bytes.buffer, 0, count);
    case 'FP64':
      return new Float64Array(bytes.buffer, 0, count);
  }
}

/** Encodes an output tensor in the raw layout (one raw_output_contents entry, or one binary-extension output). */
export function encodeRawTensor(tensor: InferTensor): Buffer {
  if (tensor.datatype === 'BYTES') return encodeRawBytes(tensor.data as Uint8Array[]);
  const data = tensor.data as ArrayLike<number>;
  if (tensor.datatype === 'FP32') {
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  }
  const out = Buffer.alloc(data.length * ELEMENT_SIZE[tensor.datatype]);
  for (let i = 0; i < data.length; i++) writeElement(out, tensor.datatype, i, data[i]!);
  return out;
}

function writeElement(out: Buffer, datatype: Exclude<Datatype, 'BYTES' | 'FP32'>, i: number, v: number): void {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      out.writeUInt8(v ? (datatype === 'BOOL' ? 1 : v) : 0, i);
      return;
    case 'INT8':
      out.writeInt8(v, i);
      return;
    case 'UINT16':
    case 'FP16':
      out.writeUInt16LE(v, i * 2);
      return;
    case 'INT16':
      out.writeInt16LE(v, i * 2);
      return;
    case 'UINT32':
      out.writeUInt32LE(v, i * 4);
      return;
    case 'INT32':
      out.writeInt32LE(v, i * 4);
      return;
    case 'UINT64':
      out.writeBigUInt64LE(BigInt(v), i * 8);
      return;
    case 'INT64':
      out.writeBigInt64LE(BigInt(v), i * 8);
      return;
    case 'FP64':
      out.writeDoubleLE(v, i * 8);
      return;
  }
}

function malformed(input: string, why: string): TachyonError {
  return new TachyonError('TCH_ERR_INFER_INVALID', `The binary data of input "${input}" is malformed: ${why}.`, {
    details: { input },
  });
}
