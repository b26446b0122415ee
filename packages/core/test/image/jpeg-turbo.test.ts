import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import sharp from 'sharp';
import {
  compilePreprocess,
  jpegDecoder,
  preprocessImage,
  PRESETS,
  type PreprocessConfig,
} from '../../src/image/index.js';
import { decodeJpegTurbo } from '../../src/image/jpeg-turbo.js';
import { jpeg, noise, paint } from './fixtures.js';

/** Identity normalization, NHWC, so tensor values are the resized pixel values. */
const RAW = { scale: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NHWC' } as const;

afterEach(() => {
  delete process.env['TACHYON_JPEG_DECODER'];
});

async function withDecoder(
  decoder: 'libvips' | 'libjpeg-turbo',
  bytes: Uint8Array,
  config: PreprocessConfig,
): Promise<Float32Array> {
  process.env['TACHYON_JPEG_DECODER'] = decoder;
  try {
    return (await preprocessImage(bytes, config)).data;
  } finally {
    delete process.env['TACHYON_JPEG_DECODER'];
  }
}

function diff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** A smooth photo-like image: gradients plus mild noise (what JPEG is made for). */
function photo(width: number, height: number): Uint8Array {
  const grain = noise(width, height, 3, 7);
  const smooth = paint(width, height, (x, y) => [
    (x * 255) / width,
    (y * 255) / height,
    ((x + y) * 127) / (width + height) + 60,
  ]);
  return smooth.map((v, i) => Math.min(255, v + (grain[i]! >> 5)));
}

test('libjpeg-turbo is the default decoder here; TACHYON_JPEG_DECODER=libvips turns it off', () => {
  assert.equal(jpegDecoder(), 'libjpeg-turbo');
  process.env['TACHYON_JPEG_DECODER'] = 'libvips';
  assert.equal(jpegDecoder(), 'libvips');
});

test('libjpeg-turbo decodes to the pixels libvips decodes, within its fast IDCT rounding', async () => {
  const bytes = await jpeg(photo(120, 90), 120, 90, 92);
  const turbo = await decodeJpegTurbo(bytes);
  assert.ok(turbo, 'decoded');
  assert.deepEqual([turbo.width, turbo.height, turbo.channels], [120, 90, 3]);
  const vips = await sharp(bytes).raw().toBuffer();
  let max = 0;
  let sum = 0;
  for (let i = 0; i < vips.length; i++) {
    const d = Math.abs(vips[i]! - turbo.data[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  // TJFLAG_FASTDCT (the binding's choice): about one level off on average, a few at edges.
  assert.ok(max <= 8 && sum / vips.length < 1.5, `max ${max}, mean ${sum / vips.length}`);
});

test('every preset gives nearly the same tensor through either decoder (shrinking, enlarging, stretching)', async () => {
  const cases: [string, Uint8Array, PreprocessConfig][] = [
    ['500x375 torchvision224', await jpeg(photo(500, 375), 500, 375), PRESETS.torchvision224],
    ['500x375 caffe227', await jpeg(photo(500, 375), 500, 375), PRESETS.caffe227],
    ['150x100 enlarged', await jpeg(photo(150, 100), 150, 100), compilePreprocess({ ...RAW })],
  ];
  for (const [name, bytes, config] of cases) {
    const d = diff(await withDecoder('libvips', bytes, config), await withDecoder('libjpeg-turbo', bytes, config));
    // In tensor units: /255 and /std for the torchvision preset, raw 0..255 for the others.
    const scale = config.scale === 1 ? 1 : 1 / (255 * 0.225);
    assert.ok(d.max <= 8 * scale && d.mean < 1.5 * scale, `${name}: max ${d.max}, mean ${d.mean}`);
  }
});

test('a JPEG shrunk by 2 or more stays with libvips (shrink-on-load): identical tensors either way', async () => {
  const bytes = await jpeg(photo(1000, 800), 1000, 800);
  const d = diff(
    await withDecoder('libvips', bytes, PRESETS.torchvision224),
    await withDecoder('libjpeg-turbo', bytes, PRESETS.torchvision224),
  );
  assert.equal(d.max, 0);
});

test('what libjpeg-turbo refuses goes to libvips: CMYK and a decoder warning decode as before, truncated data is still corrupt', async () => {
  const cmyk = await sharp(photo(64, 48), { raw: { width: 64, height: 48, channels: 3 } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  assert.equal(await decodeJpegTurbo(cmyk), undefined);
  const config = compilePreprocess({ ...RAW, resize: 'stretch', size: [48, 64] });
  assert.deepEqual(await withDecoder('libjpeg-turbo', cmyk, config), await withDecoder('libvips', cmyk, config));

  // Stray bytes before the scan: libjpeg warns "extraneous bytes before marker 0xda", PIL and libvips decode it.
  const clean = await jpeg(photo(64, 48), 64, 48);
  const sos = clean.indexOf(Buffer.from([0xff, 0xda]));
  const warned = Buffer.concat([clean.subarray(0, sos), Buffer.from([0x00, 0x11, 0x22]), clean.subarray(sos)]);
  assert.equal(await decodeJpegTurbo(warned), undefined);
  assert.deepEqual(await withDecoder('libjpeg-turbo', warned, config), await withDecoder('libvips', warned, config));

  const half = clean.subarray(0, clean.length >> 1);
  assert.equal(await decodeJpegTurbo(half), undefined);
  await assert.rejects(
    preprocessImage(half, config),
    (e: unknown) => isTachyonError(e) && e.code === 'TCH_ERR_IMAGE_CORRUPT',
  );
});

test('a decoded size other than the header size the caller checked is refused (sharp then decodes under its own limit)', async () => {
  const bytes = await jpeg(photo(64, 48), 64, 48);
  assert.ok(await decodeJpegTurbo(bytes, { width: 64, height: 48 }));
  assert.equal(await decodeJpegTurbo(bytes, { width: 32, height: 24 }), undefined);
});

test('a grey JPEG comes out as three equal channels, as through libvips', async () => {
  const grey = await sharp(photo(64, 48), { raw: { width: 64, height: 48, channels: 3 } })
    .greyscale()
    .jpeg()
    .toBuffer();
  const turbo = await decodeJpegTurbo(grey);
  assert.ok(turbo);
  for (let i = 0; i < turbo.data.length; i += 3)
    assert.ok(turbo.data[i] === turbo.data[i + 1] && turbo.data[i] === turbo.data[i + 2]);
  const config = compilePreprocess({ ...RAW, resize: 'stretch', size: [48, 64] });
  const d = diff(await withDecoder('libvips', grey, config), await withDecoder('libjpeg-turbo', grey, config));
  assert.ok(d.max <= 8, `max ${d.max}`);
});
