/**
 * The KServe v2 raw layout of a BYTES tensor (gRPC `raw_input_contents`/`raw_output_contents` and the HTTP binary data
 * extension): per element a uint32 little-endian length, then its bytes.
 */
export function rawBytesLength(elements: readonly Uint8Array[]): number {
  let size = 0;
  for (const e of elements) size += 4 + e.byteLength;
  return size;
}

/** Writes `elements` in the raw BYTES layout into `target` from `offset` (room: rawBytesLength); returns the end offset. */
export function writeRawBytes(elements: readonly Uint8Array[], target: Uint8Array, offset: number): number {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  for (const e of elements) {
    view.setUint32(offset, e.byteLength, true);
    target.set(e, offset + 4);
    offset += 4 + e.byteLength;
  }
  return offset;
}
