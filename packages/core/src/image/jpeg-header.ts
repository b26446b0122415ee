/**
 * Reads a JPEG's frame size and EXIF orientation from its markers, without libvips: this saves a whole sharp call
 * (about 0.2 ms) per image. Returns undefined whenever the header is anything but plain, and the caller then asks
 * sharp, so an odd file is never misread here.
 */
export interface JpegHeader {
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

/** Start-of-frame markers: SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let orientation = 1;
  let offset = 2; // after SOI
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) return undefined; // not in a header
    const length = view.getUint16(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) return undefined;
    const segment = offset + 4;
    if (marker === 0xe1 && orientation === 1) orientation = readExifOrientation(bytes, view, segment, length - 2) ?? 1;
    if (isStartOfFrame(marker)) {
      if (length < 8) return undefined;
      const height = view.getUint16(segment + 1);
      const width = view.getUint16(segment + 3);
      if (width === 0 || height === 0) return undefined; // height 0 means "defined later" (DNL): let sharp read it
      return { width, height, orientation };
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    offset += 2 + length;
  }
  return undefined;
}

/** Orientation tag (0x0112) of IFD0 in an APP1 "Exif\0\0" segment; undefined when absent or malformed. */
function readExifOrientation(bytes: Uint8Array, view: DataView, start: number, length: number): number | undefined {
  const exif = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00];
  if (length < 14 || !exif.every((b, i) => bytes[start + i] === b)) return undefined;
  const tiff = start + 6;
  const end = start + length;
  const order = view.getUint16(tiff);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const little = order === 0x4949;
  if (view.getUint16(tiff + 2, little) !== 42) return undefined;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return undefined;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return undefined;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const value = view.getUint16(entry + 8, little);
    return view.getUint16(entry + 2, little) === 3 && value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}
