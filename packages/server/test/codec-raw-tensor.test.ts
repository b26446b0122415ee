import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { decodeRawBytes, decodeRawTensor, encodeRawBytes, encodeRawTensor } from '../src/codec/raw-tensor.js';
import { tritonRawBytes } from './grpc/grpc-fixtures.js';

test("raw BYTES: Triton's layout (4-byte little-endian length, then the bytes) round-trips, empty elements included", () => {
  const elements = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from([0, 255, 7])];
  const raw = tritonRawBytes(elements);
  assert.deepEqual(encodeRawBytes(elements), raw);
  assert.deepEqual(
    decodeRawBytes(raw, 'images').map((e) => Buffer.from(e)),
    elements,
  );
  assert.deepEqual(decodeRawBytes(Buffer.alloc(0), 'images'), []);
});

test('raw BYTES: a truncated length or element is TCH_ERR_INFER_INVALID naming the input', () => {
  for (const raw of [Buffer.from([3, 0, 0]), Buffer.from([5, 0, 0, 0, 1, 2])]) {
    assert.throws(
      () => decodeRawBytes(raw, 'images'),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_INFER_INVALID') && /"images"/.test(e.message),
    );
  }
});

test('raw numeric tensors are little-endian and row-major; a partial element is rejected', () => {
  const f32 = Buffer.alloc(8);
  f32.writeFloatLE(1.5, 0);
  f32.writeFloatLE(-2, 4);
  // An odd offset: the decoder must not assume the slice is aligned.
  const unaligned = Buffer.concat([Buffer.from([9]), f32]).subarray(1);
  assert.deepEqual(Array.from(decodeRawTensor('FP32', unaligned, 'x') as Float32Array), [1.5, -2]);
  const i64 = Buffer.alloc(16);
  i64.writeBigInt64LE(-3n, 0);
  i64.writeBigInt64LE(1n << 40n, 8);
  assert.deepEqual(Array.from(decodeRawTensor('INT64', i64, 'x') as ArrayLike<number>), [-3, 2 ** 40]);
  assert.deepEqual(Array.from(decodeRawTensor('BOOL', Buffer.from([1, 0]), 'x') as ArrayLike<number>), [1, 0]);
  assert.throws(
    () => decodeRawTensor('FP32', Buffer.alloc(6), 'x'),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_INFER_INVALID'),
  );
  assert.deepEqual(
    encodeRawTensor({ name: 's', datatype: 'FP32', shape: [2], data: new Float32Array([1.5, -2]) }),
    f32,
  );
  assert.deepEqual(encodeRawTensor({ name: 's', datatype: 'INT64', shape: [2], data: [-3, 2 ** 40] }), i64);
  assert.deepEqual(
    encodeRawTensor({ name: 'b', datatype: 'BYTES', shape: [1], data: [Buffer.from('hi')] }),
    tritonRawBytes([Buffer.from('hi')]),
  );
});
