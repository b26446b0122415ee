// Hostile payloads built in memory or in a work folder: damaged images, a pixel bomb, attack zips. The zip builder
// and the example service definition come from @tachyon-serve/test-support.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { repoPath } from './paths.js';
import * as example from '@tachyon-serve/test-support/service-zip';
import { buildRawZip, type RawZipEntry } from '@tachyon-serve/test-support/service-zip';

/** The first `fraction` of a real JPEG: a valid header, then the data stops. */
export function truncated(jpeg: Buffer, fraction = 0.4): Buffer {
  return jpeg.subarray(0, Math.floor(jpeg.length * fraction));
}

/** JPEG magic (SOI + APP0 marker) followed by noise: sniffs as JPEG, cannot be decoded. */
export function garbageWithJpegMagic(): Buffer {
  const noise = Buffer.alloc(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) & 0xff;
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), noise]);
}

/** Bytes that are no image format at all. */
export const notAnImage = (): Buffer => Buffer.from('this is plain text, not an image\n'.repeat(64));

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A small PNG whose header declares `side` x `side` pixels (a decompression bomb if anyone decoded it). */
export function pixelBombPng(side = 50_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.writeUInt8(1, 8); // bit depth 1
  ihdr.writeUInt8(0, 9); // greyscale
  // One row of zeros is enough for a header; the rest would inflate to gigapixels.
  const idat = deflateSync(Buffer.alloc(Math.ceil(side / 8) + 1));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export type ZipAttack = 'zip-slip' | 'symlink' | 'zip-bomb' | 'bad-manifest';

/** Writes the attack zip into `dir` and returns its path. */
export async function writeAttackZip(dir: string, attack: ZipAttack): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const entries = (
    extra: RawZipEntry[] = [],
    edit?: (m: ReturnType<typeof example.exampleManifest>) => void,
  ): RawZipEntry[] => {
    const manifest = example.exampleManifest();
    edit?.(manifest);
    return [
      { name: 'service.json', data: Buffer.from(JSON.stringify(manifest)) },
      ...example.exampleFiles().map((f) => ({ name: f.path, data: f.bytes, method: 8 as const })),
      ...extra,
    ];
  };
  let zip: Buffer;
  switch (attack) {
    case 'zip-slip':
      zip = buildRawZip(entries([{ name: '../../reliability-pwned.txt', data: Buffer.from('pwned') }]));
      break;
    case 'symlink':
      zip = buildRawZip(
        entries([
          {
            name: 'models/link.onnx',
            data: Buffer.from('/etc/passwd'),
            externalFileAttributes: (0o120777 << 16) >>> 0,
          },
        ]),
      );
      break;
    case 'zip-bomb': {
      const zeros = Buffer.alloc(50 * 1024 * 1024);
      zip = buildRawZip(
        entries([{ name: 'bomb.bin', data: zeros, method: 8 }], (m) =>
          m.files.push(example.fileEntry('bomb.bin', zeros)),
        ),
      );
      break;
    }
    case 'bad-manifest': {
      // The core package's own invalid fixture: a stage of an unknown kind.
      const manifest = readFileSync(
        repoPath('packages', 'core', 'test', 'service-def', 'fixtures', 'invalid', 'unknown-kind', 'service.json'),
      );
      zip = buildRawZip([{ name: 'service.json', data: manifest }]);
      break;
    }
  }
  const path = join(dir, `${attack}.zip`);
  writeFileSync(path, zip);
  return path;
}
