// JPEG decoding straight through libjpeg-turbo's TurboJPEG API (@julusian/jpeg-turbo, which ships libjpeg-turbo
// 3.1 prebuilt): about 1.1 ms for a 500x375 JPEG on the 2-core development VM, where a libvips (sharp) decode of the
// same file takes about 2.6 ms. Only a fast path: anything it cannot do, or any failure, goes back to sharp.
import { createRequire } from 'node:module';
import type { RawPixels } from './decode.js';

type TurboJpeg = typeof import('@julusian/jpeg-turbo');

/** Which decoder preprocessImage uses for plain JPEGs: `TACHYON_JPEG_DECODER=libvips` turns the fast path off. */
export type JpegDecoder = 'libjpeg-turbo' | 'libvips';

let turbo: TurboJpeg | null | undefined;

/** The native module, or null where it cannot load (a platform without a prebuilt binary): then sharp decodes. */
function loadTurbo(): TurboJpeg | null {
  if (turbo === undefined) {
    try {
      turbo = createRequire(import.meta.url)('@julusian/jpeg-turbo') as TurboJpeg;
    } catch {
      turbo = null;
    }
  }
  return turbo;
}

/** The decoder in effect: `TACHYON_JPEG_DECODER` (read on every call, so a process can switch), else libjpeg-turbo when it loads. */
export function jpegDecoder(): JpegDecoder {
  const chosen = process.env['TACHYON_JPEG_DECODER'];
  if (chosen === 'libvips') return 'libvips';
  return loadTurbo() ? 'libjpeg-turbo' : 'libvips';
}

/**
 * Decodes a JPEG to interleaved RGB off the event loop (libuv thread pool), or returns undefined when sharp is to
 * decode instead: `TACHYON_JPEG_DECODER=libvips`, the module cannot load, or libjpeg-turbo refuses the file (CMYK,
 * 12-bit, damaged or truncated data, even a mere decoder warning). The caller then asks sharp, so what is accepted and
 * which error is raised stay exactly as with sharp alone. The caller has checked the header's pixel count against its
 * limit. Grey JPEGs come out as three equal channels, as sharp gives them.
 */
export async function decodeJpegTurbo(
  bytes: Uint8Array,
  expected?: { width: number; height: number },
): Promise<RawPixels | undefined> {
  if (jpegDecoder() === 'libvips') return undefined;
  const jpg = loadTurbo()!; // jpegDecoder() says libjpeg-turbo only when it loaded
  try {
    const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { data, width, height } = await jpg.decompress(input, { format: jpg.FORMAT_RGB });
    if (data.length !== width * height * 3) return undefined;
    // The size whose pixel count the caller checked must be the one decoded (both read the first frame header).
    if (expected && (width !== expected.width || height !== expected.height)) return undefined;
    return { data, width, height, channels: 3 };
  } catch {
    return undefined;
  }
}
