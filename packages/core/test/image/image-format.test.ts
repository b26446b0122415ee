import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sniffImageFormat } from '../../src/image/index.js';

test('sniffImageFormat recognizes JPEG, PNG and WebP by their magic bytes only', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  const ascii = (s: string) => new TextEncoder().encode(s);
  assert.equal(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0)), 'jpeg');
  assert.equal(sniffImageFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0)), 'png');
  assert.equal(sniffImageFormat(ascii('RIFF\0\0\0\0WEBPVP8 ')), 'webp');
  assert.equal(sniffImageFormat(ascii('RIFF\0\0\0\0WAVEfmt ')), undefined);
  assert.equal(sniffImageFormat(ascii('GIF89a')), undefined);
  assert.equal(sniffImageFormat(bytes(0x49, 0x49, 0x2a, 0x00)), undefined); // TIFF
  assert.equal(sniffImageFormat(ascii('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
  assert.equal(sniffImageFormat(bytes(0xff, 0xd8)), undefined);
  assert.equal(sniffImageFormat(bytes()), undefined);
});
