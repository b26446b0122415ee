// The shared-memory run channel between the pool (main thread) and one session worker: the layout both sides read.
import { DTYPES, type DType, type TypedArray } from '../tensor/dtypes.js';
import type { TensorData, TensorMap } from '../tensor/tensor.js';

/**
 * Runs in flight per worker on the shared channel. Two let the worker start the next run while the main thread is
 * still reading the previous outputs; any further concurrent run goes by message.
 */
export const RING_SLOTS = 2;

/** Control words (Int32Array over `control`): how many runs the main thread submitted / the worker completed. */
export const CTRL_SUBMITTED = 0;
export const CTRL_COMPLETED = 1;
export const CTRL_INTS = 16;

/** Per-slot header (Int32Array): the run and its tensor descriptors. */
export const HDR_SESSION = 0;
export const HDR_STATUS = 1;
export const HDR_INPUTS = 2;
export const HDR_OUTPUTS = 3;
/** Byte length of the UTF-8 JSON error body written at offset 0 of the arena, when the status is STATUS_ERROR. */
export const HDR_ERROR_BYTES = 4;
/** The id of the run in the pool's pending table, for a reply that comes by message (STATUS_BY_MESSAGE). */
export const HDR_RUN_ID = 5;
export const HDR_FIRST_TENSOR = 8;
export const MAX_RANK = 8;
/** dtype code, rank, byte offset, byte length, dims. */
export const TENSOR_INTS = 4 + MAX_RANK;
export const HEADER_INTS = 256;
export const MAX_TENSORS = Math.floor((HEADER_INTS - HDR_FIRST_TENSOR) / TENSOR_INTS);

export const STATUS_OK = 0;
export const STATUS_ERROR = 1;
/** The outputs did not fit the arena: the worker sent them by message under the run's id. */
export const STATUS_BY_MESSAGE = 2;

/** Initial arena bytes per slot; arenas grow (SharedArrayBuffer.grow) to the largest run seen, up to ARENA_MAX_BYTES. */
export const ARENA_INITIAL_BYTES = 1 << 20;
/** Reserved (virtual) size of each arena; runs whose inputs do not fit go by message. */
export const ARENA_MAX_BYTES = 1 << 30;
const ALIGN = 64;

export const DTYPE_CODES: readonly DType[] = Object.keys(DTYPES) as DType[];
const CODE_OF = new Map<string, number>(DTYPE_CODES.map((d, i) => [d, i]));

// Growable SharedArrayBuffer and Atomics.waitAsync are in Node 20 but not in the ES2022 lib this repo compiles with.
export type GrowableSharedArrayBuffer = SharedArrayBuffer & {
  grow(bytes: number): void;
  readonly maxByteLength: number;
};
const GrowableSAB = SharedArrayBuffer as unknown as new (
  bytes: number,
  options: { maxByteLength: number },
) => GrowableSharedArrayBuffer;
type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
/** `Atomics.waitAsync`: resolves when `array[index]` is notified, or at once when it no longer holds `value`. */
export const waitAsync = (
  Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): WaitAsyncResult }
).waitAsync;

/** What one worker's channel is made of; created by the pool, handed to the worker in workerData. */
export interface SharedChannelBuffers {
  control: SharedArrayBuffer;
  headers: SharedArrayBuffer;
  arenas: GrowableSharedArrayBuffer[];
}

export function createChannelBuffers(): SharedChannelBuffers {
  return {
    control: new SharedArrayBuffer(CTRL_INTS * 4),
    headers: new SharedArrayBuffer(RING_SLOTS * HEADER_INTS * 4),
    arenas: Array.from(
      { length: RING_SLOTS },
      () => new GrowableSAB(ARENA_INITIAL_BYTES, { maxByteLength: ARENA_MAX_BYTES }),
    ),
  };
}

/** A typed view of `length` elements of `dtype` on shared memory. */
export function sharedView(dtype: DType, buffer: SharedArrayBuffer, byteOffset: number, length: number): TypedArray {
  // The lib's BigInt64Array constructor is typed for ArrayBuffer only; shared memory works the same at runtime.
  return new DTYPES[dtype](buffer as unknown as ArrayBuffer, byteOffset, length);
}

export const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Grows `arena` to hold `bytes`; false when that exceeds its reserved size. */
export function ensureArena(arena: GrowableSharedArrayBuffer, bytes: number): boolean {
  if (bytes <= arena.byteLength) return true;
  if (bytes > arena.maxByteLength) return false;
  // Double, so that a batch size creeping up does not grow the arena on every run.
  arena.grow(Math.min(arena.maxByteLength, Math.max(bytes, arena.byteLength * 2)));
  return true;
}

/**
 * Writes tensors into `header` (descriptors from `first`) and `arena` (data from byte `offset`); returns the byte
 * offset after the last tensor. The caller checked the rank, the count and the arena size (`tensorsBytes`).
 */
export function writeTensors(
  header: Int32Array,
  first: number,
  arena: SharedArrayBuffer,
  offset: number,
  tensors: readonly TensorData[],
): number {
  let at = HDR_FIRST_TENSOR + first * TENSOR_INTS;
  for (const t of tensors) {
    const bytes = t.data.byteLength;
    header[at] = CODE_OF.get(t.dtype)!;
    header[at + 1] = t.dims.length;
    header[at + 2] = offset;
    header[at + 3] = bytes;
    for (let d = 0; d < t.dims.length; d++) header[at + 4 + d] = t.dims[d]!;
    sharedView(t.dtype, arena, offset, t.data.length).set(t.data as never);
    offset = alignUp(offset + bytes);
    at += TENSOR_INTS;
  }
  return offset;
}

/** Bytes `tensors` take in an arena from `offset`, or -1 when one cannot go through the channel (rank too high). */
export function tensorsBytes(tensors: readonly TensorData[], offset: number): number {
  for (const t of tensors) {
    if (t.dims.length > MAX_RANK) return -1;
    offset = alignUp(offset + t.data.byteLength);
  }
  return offset;
}

/** Reads `count` tensors described from index `first`, each copied out of the arena into its own (unshared) array. */
export function readTensors(
  header: Int32Array,
  first: number,
  count: number,
  arena: SharedArrayBuffer,
  names: readonly string[],
): TensorMap {
  const out: TensorMap = {};
  let at = HDR_FIRST_TENSOR + first * TENSOR_INTS;
  for (let i = 0; i < count; i++) {
    const dtype = DTYPE_CODES[header[at]!]!;
    const rank = header[at + 1]!;
    const dims = new Array<number>(rank);
    for (let d = 0; d < rank; d++) dims[d] = header[at + 4 + d]!;
    const Ctor = DTYPES[dtype];
    const length = header[at + 3]! / Ctor.BYTES_PER_ELEMENT;
    out[names[i]!] = { dtype, dims, data: sharedView(dtype, arena, header[at + 2]!, length).slice() };
    at += TENSOR_INTS;
  }
  return out;
}
