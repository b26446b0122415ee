import { TachyonError } from '@tachyon/protocol';
import type { Datatype, InferTensor } from '../../inference/infer-types.js';

/** Bytes per element in the binary tensor data extension (little-endian, row-major, no padding); BYTES is variable. */
export const ELEMENT_SIZE: Readonly<Record<Datatype, number>> = Object.freeze({
  BOOL: 1, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8, FP16: 2, FP32: 4, FP64: 8, BYTES: 0,
});

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && Object.hasOwn(ELEMENT_SIZE, value);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** BYTES in binary form: each element a uint32 little-endian length followed by that many bytes (Triton's layout). */
export function decodeBytesElements(buf: Buffer, name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) throw invalid(`Input "${name}": BYTES data ends inside an element's 4-byte length.`, name);
    const length = buf.readUInt32LE(offset);
    offset += 4;
    if (offset + length > buf.length) throw invalid(`Input "${name}": a BYTES element of ${length} bytes runs past the tensor's binary data.`, name);
    out.push(buf.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

export function encodeBytesElements(elements: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const e of elements) size += 4 + e.byteLength;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const e of elements) {
    out.writeUInt32LE(e.byteLength, offset);
    out.set(e, offset + 4);
    offset += 4 + e.byteLength;
  }
  return out;
}

/** Fixed-size elements as numbers; 64-bit integers become numbers (exact up to 2^53), FP16 stays raw bits. */
export function decodeNumeric(buf: Buffer, datatype: Exclude<Datatype, 'BYTES'>): ArrayLike<number> {
  const aligned = new Uint8Array(buf).buffer; // a copy: typed arrays need aligned offsets
  switch (datatype) {
    case 'BOOL': case 'UINT8': return new Uint8Array(aligned);
    case 'INT8': return new Int8Array(aligned);
    case 'UINT16': case 'FP16': return new Uint16Array(aligned);
    case 'INT16': return new Int16Array(aligned);
    case 'UINT32': return new Uint32Array(aligned);
    case 'INT32': return new Int32Array(aligned);
    case 'FP32': return new Float32Array(aligned);
    case 'FP64': return new Float64Array(aligned);
    case 'UINT64': return Array.from(new BigUint64Array(aligned), Number);
    case 'INT64': return Array.from(new BigInt64Array(aligned), Number);
  }
}

/** One output tensor's binary data. */
export function encodeTensorBinary(tensor: InferTensor): Buffer {
  if (tensor.datatype === 'BYTES') return encodeBytesElements(tensor.data as Uint8Array[]);
  const data = tensor.data as ArrayLike<number>;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (tensor.datatype === 'FP32') return Buffer.from(Float32Array.from(data).buffer);
  throw new TachyonError('TCH_ERR_SERVER_INTERNAL', `Output "${tensor.name}" (${tensor.datatype}) cannot be encoded as binary data.`);
}

function invalid(message: string, input: string): TachyonError {
  return new TachyonError('TCH_ERR_INFER_INVALID', message, { details: { input } });
}
