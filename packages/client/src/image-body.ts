import { randomBytes } from 'node:crypto';

/** `image/jpeg`, `image/png` or `image/webp` from the magic bytes; the server re-checks, this only labels the body. */
export function sniffImageType(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}

/**
 * The raw-image endpoint's body: one image as the body itself, several as multipart/form-data with one part per
 * image (part names `image0`, `image1`, ... unless given).
 */
export function encodeClassifyBody(
  images: readonly Uint8Array[],
  names?: readonly string[],
): { body: Uint8Array; contentType: string } {
  if (images.length === 1 && names === undefined) return { body: images[0]!, contentType: sniffImageType(images[0]!) };
  const boundary = `tachyon-${randomBytes(12).toString('hex')}`;
  const chunks: Uint8Array[] = [];
  images.forEach((image, i) => {
    const name = (names?.[i] ?? `image${i}`).replace(/["\r\n\\]/g, '_');
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${sniffImageType(image)}\r\n\r\n`,
      ),
    );
    chunks.push(image, Buffer.from('\r\n'));
  });
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
