import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { readJpegHeader } from '../../src/image/jpeg-header.js';
import { sampleImagesDir } from '@tachyon-serve/test-support';

test('the JPEG header reader agrees with libvips on every sample image (size and EXIF orientation)', async () => {
  const files = readdirSync(sampleImagesDir()).filter((f) => f.endsWith('.JPEG'));
  assert.equal(files.length, 1000);
  let parsed = 0;
  for (const file of files) {
    const bytes = readFileSync(join(sampleImagesDir(), file));
    const header = readJpegHeader(bytes);
    if (!header) continue;
    parsed++;
    const meta = await sharp(bytes).metadata();
    assert.deepEqual(header, { width: meta.width, height: meta.height, orientation: meta.orientation ?? 1 }, file);
  }
  // The fast path must actually be taken for ordinary photos.
  assert.ok(parsed >= 990, `only ${parsed} of 1000 headers read`);
});

test('EXIF orientation is read from generated JPEGs; a cut or odd header gives undefined (sharp decides)', async () => {
  const base = sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } });
  for (const orientation of [1, 3, 6, 8]) {
    const jpeg = await base.clone().jpeg().withMetadata({ orientation }).toBuffer();
    assert.deepEqual(readJpegHeader(jpeg), { width: 40, height: 20, orientation });
  }
  const plain = await base.clone().jpeg().toBuffer();
  assert.deepEqual(readJpegHeader(plain), { width: 40, height: 20, orientation: 1 });
  assert.equal(readJpegHeader(plain.subarray(0, 20)), undefined);
  assert.equal(readJpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02])), undefined);
  assert.equal(readJpegHeader(Buffer.from([0xff, 0xd8, 0x00, 0x00, 0x00, 0x00])), undefined);
});
