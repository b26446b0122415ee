import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError, type ErrorCode } from '@tachyon-serve/protocol';
import sharp from 'sharp';
import { compilePreprocess, preprocessImage, PRESETS, type PreprocessConfig } from '../../src/image/index.js';
import { jpeg, noise, paint, pixelBombPng, png } from './fixtures.js';

/** Identity normalization, NHWC, so tensor values are the resized pixel values. */
const RAW = { scale: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NHWC' } as const;

async function rejectsWith(bytes: Uint8Array, code: ErrorCode, config: PreprocessConfig = PRESETS.torchvision224) {
  await assert.rejects(preprocessImage(bytes, config), (e: unknown) => {
    assert.ok(isTachyonError(e), `expected a TachyonError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, /^[^.]+\.$/, 'one sentence');
    return true;
  });
}

test('0 bytes -> TCH_ERR_IMAGE_EMPTY', async () => {
  await rejectsWith(new Uint8Array(0), 'TCH_ERR_IMAGE_EMPTY');
});

test('more bytes than maxInputBytes -> TCH_ERR_IMAGE_TOO_LARGE, before the format is even looked at', async () => {
  const config = compilePreprocess({ maxInputBytes: 1000 });
  await rejectsWith(await png(noise(32, 32, 3), 32, 32, 3), 'TCH_ERR_IMAGE_TOO_LARGE', config);
  await rejectsWith(new Uint8Array(1001), 'TCH_ERR_IMAGE_TOO_LARGE', config);
});

test('a 30000x30000 PNG pixel bomb -> TCH_ERR_IMAGE_TOO_MANY_PIXELS from its header', async () => {
  const bomb = pixelBombPng(30000);
  assert.ok(bomb.length < 200_000, `the bomb is ${bomb.length} bytes`);
  const header = await sharp(bomb, { limitInputPixels: false }).metadata();
  assert.deepEqual([header.format, header.width, header.height], ['png', 30000, 30000]);
  await rejectsWith(bomb, 'TCH_ERR_IMAGE_TOO_MANY_PIXELS');
  await rejectsWith(bomb, 'TCH_ERR_IMAGE_TOO_MANY_PIXELS', PRESETS.caffe227);
  await assert.rejects(
    preprocessImage(bomb, PRESETS.torchvision224),
    (e: unknown) =>
      isTachyonError(e) &&
      e.details?.['width'] === 30000 &&
      e.details['height'] === 30000 &&
      e.details['maxPixels'] === 40_000_000,
  );
});

test('maxPixels is the configured limit', async () => {
  const small = await png(noise(20, 20, 3), 20, 20, 3);
  await rejectsWith(small, 'TCH_ERR_IMAGE_TOO_MANY_PIXELS', compilePreprocess({ maxPixels: 399 }));
  await preprocessImage(small, compilePreprocess({ maxPixels: 400 }));
});

test('text, GIF, TIFF and SVG -> TCH_ERR_IMAGE_UNSUPPORTED_FORMAT, with no content in the error', async () => {
  const text = new TextEncoder().encode('SECRET-TOKEN-1234 is not an image\n');
  await rejectsWith(text, 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT');
  await assert.rejects(preprocessImage(text, PRESETS.torchvision224), (e: unknown) => {
    assert.ok(isTachyonError(e));
    assert.doesNotMatch(JSON.stringify(e.toJSON()) + e.message, /SECRET/);
    assert.equal(e.kind, 'UNSUPPORTED');
    return true;
  });
  const pixels = noise(8, 8, 3);
  const raw = { raw: { width: 8, height: 8, channels: 3 as const } };
  await rejectsWith(await sharp(pixels, raw).gif().toBuffer(), 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT');
  await rejectsWith(await sharp(pixels, raw).tiff().toBuffer(), 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT');
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>';
  await rejectsWith(new TextEncoder().encode(svg), 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT');
});

test('a JPEG cut in half -> TCH_ERR_IMAGE_CORRUPT, not a grey image', async () => {
  const whole = await jpeg(noise(256, 192, 3), 256, 192);
  const half = whole.subarray(0, whole.length >> 1);
  await rejectsWith(half, 'TCH_ERR_IMAGE_CORRUPT');
  await rejectsWith(half, 'TCH_ERR_IMAGE_CORRUPT', PRESETS.caffe227);
});

test('damaged PNG data, a truncated PNG and a damaged JPEG header -> TCH_ERR_IMAGE_CORRUPT', async () => {
  const goodPng = await png(noise(64, 48, 3), 64, 48, 3);
  const flipped = Buffer.from(goodPng);
  const idat = flipped.indexOf('IDAT', 0, 'latin1');
  for (let i = idat + 20; i < idat + 60; i++) flipped[i]! ^= 0x5a;
  await rejectsWith(flipped, 'TCH_ERR_IMAGE_CORRUPT');
  await rejectsWith(goodPng.subarray(0, goodPng.length >> 1), 'TCH_ERR_IMAGE_CORRUPT');
  const badTables = Buffer.from(await jpeg(noise(64, 48, 3), 64, 48));
  const dht = badTables.indexOf(Buffer.from([0xff, 0xc4]));
  badTables.fill(0xff, dht + 5, dht + 25);
  await rejectsWith(badTables, 'TCH_ERR_IMAGE_CORRUPT');
});

test('EXIF orientation 6 is applied: a wide image comes out tall', async () => {
  // Stored 40 wide x 20 high, left half red, right half blue; orientation 6 shows it rotated 90° clockwise,
  // so the displayed image is 20 wide x 40 high with red on top.
  const stored = paint(40, 20, (x) => (x < 20 ? [255, 0, 0] : [0, 0, 255]));
  const bytes = await sharp(stored, { raw: { width: 40, height: 20, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  assert.equal((await sharp(bytes).metadata()).orientation, 6);
  const isRed = (p: ArrayLike<number>) => p[0]! > 200 && p[2]! < 60;
  const isBlue = (p: ArrayLike<number>) => p[2]! > 200 && p[0]! < 60;
  for (const interpolation of ['antialias', 'bilinear'] as const) {
    // The whole image, at its displayed size: rows 0..19 red, 20..39 blue.
    const whole = compilePreprocess({ ...RAW, resize: 'stretch', size: [40, 20], interpolation });
    const { data } = await preprocessImage(bytes, whole);
    const at = (x: number, y: number) => data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3);
    for (const [x, y] of [
      [1, 1],
      [18, 1],
      [1, 17],
      [18, 17],
    ])
      assert.ok(isRed(at(x!, y!)), `${interpolation} (${x},${y}) ${at(x!, y!)}`);
    for (const [x, y] of [
      [1, 22],
      [18, 22],
      [1, 38],
      [18, 38],
    ])
      assert.ok(isBlue(at(x!, y!)), `${interpolation} (${x},${y}) ${at(x!, y!)}`);
    // Short side of the displayed image is its width: 20 -> 10, so 10x20, centre crop 10x10 = rows 5..14.
    const crop = compilePreprocess({ ...RAW, resizeShortSide: 10, size: [10, 10], interpolation });
    const c = (await preprocessImage(bytes, crop)).data;
    const px = (x: number, y: number) => c.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3);
    assert.ok(isRed(px(1, 1)) && isRed(px(8, 1)) && isBlue(px(1, 8)) && isBlue(px(8, 8)), `${interpolation} crop`);
  }
});

test('grey and 16-bit PNGs give three channels; alpha is flattened onto black', async () => {
  const config = compilePreprocess({ ...RAW, resize: 'stretch', size: [3, 4], interpolation: 'bilinear' });
  const grey = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const fromGrey = (await preprocessImage(await png(grey, 4, 3, 1), config)).data;
  assert.deepEqual(
    [...fromGrey],
    [...grey].flatMap((v) => [v, v, v]),
  );

  const rgb = noise(4, 3, 3, 7);
  const wide = new Uint16Array(rgb.length).map((_, i) => rgb[i]! * 257);
  const png16 = await sharp(wide, { raw: { width: 4, height: 3, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  assert.deepEqual([...(await preprocessImage(png16, config)).data], [...rgb]);

  // RGBA: alpha 255 keeps the colour, 0 gives black, 51 gives a fifth of it.
  const rgba = Uint8Array.from([200, 100, 50, 255, 200, 100, 50, 0, 200, 100, 50, 51, 10, 20, 30, 255]);
  const flat = (await preprocessImage(await png(rgba, 4, 1, 4), compilePreprocess({ ...config, size: [1, 4] }))).data;
  assert.deepEqual([...flat], [200, 100, 50, 0, 0, 0, 40, 20, 10, 10, 20, 30]);
  const greyAlpha = Uint8Array.from([100, 255, 100, 0]);
  const ga = (await preprocessImage(await png(greyAlpha, 2, 1, 2), compilePreprocess({ ...config, size: [1, 2] })))
    .data;
  assert.deepEqual([...ga], [100, 100, 100, 0, 0, 0]);
});

test('lossless WebP decodes to the same pixels as PNG', async () => {
  const pixels = noise(16, 12, 3, 3);
  const config = compilePreprocess({ ...RAW, resize: 'stretch', size: [12, 16], interpolation: 'bilinear' });
  const webp = await sharp(pixels, { raw: { width: 16, height: 12, channels: 3 } })
    .webp({ lossless: true })
    .toBuffer();
  assert.deepEqual([...(await preprocessImage(webp, config)).data], [...pixels]);
});
