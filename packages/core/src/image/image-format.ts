/** The encoded formats accepted as input. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const SUPPORTED_IMAGE_FORMATS: readonly ImageFormat[] = Object.freeze(['jpeg', 'png', 'webp']);

/**
 * The format named by the leading magic bytes, or undefined. Checked before sharp sees the bytes, so libvips'
 * other loaders (SVG, PDF, TIFF, HEIF, ...) are never reached with untrusted input.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && startsWith(bytes, PNG_SIGNATURE, 0)) return 'png';
  if (bytes.length >= 12 && startsWith(bytes, RIFF, 0) && startsWith(bytes, WEBP, 8)) return 'webp';
  return undefined;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];

function startsWith(bytes: Uint8Array, magic: readonly number[], at: number): boolean {
  return magic.every((b, i) => bytes[at + i] === b);
}
