import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compilePreprocess,
  preprocessImage,
  PRESETS,
  tensorDimsPerImage,
  tensorElementsPerImage,
  type PreprocessOptions,
} from '../../src/image/index.js';
import { noise, png } from './fixtures.js';

// ---- Independent naive references (deliberately not sharing code with src/image) ----

type Image = { pixels: Uint8Array; width: number; height: number };
/** A reference result: `value(x, y, c)` with c in R, G, B order, before normalization. */
type Sampler = (x: number, y: number, c: number) => number;

/** OpenCV INTER_LINEAR, written the way cv::resize does it: half-pixel centres, taps clamped to the image. */
function opencvBilinear(img: Image, outW: number, outH: number): Sampler {
  const at = (x: number, y: number, c: number) => {
    const cx = Math.min(Math.max(x, 0), img.width - 1);
    const cy = Math.min(Math.max(y, 0), img.height - 1);
    return img.pixels[(cy * img.width + cx) * 3 + c]!;
  };
  return (dx, dy, c) => {
    const fx = (dx + 0.5) * (img.width / outW) - 0.5;
    const fy = (dy + 0.5) * (img.height / outH) - 0.5;
    let sx = Math.floor(fx);
    let sy = Math.floor(fy);
    let ax = fx - sx;
    let ay = fy - sy;
    if (sx < 0) [sx, ax] = [0, 0];
    if (sy < 0) [sy, ay] = [0, 0];
    return (
      (1 - ay) * ((1 - ax) * at(sx, sy, c) + ax * at(sx + 1, sy, c)) +
      ay * ((1 - ax) * at(sx, sy + 1, c) + ax * at(sx + 1, sy + 1, c))
    );
  };
}

/** PIL Image.resize(BILINEAR): triangle filter of support max(scale, 1), out-of-image taps dropped, renormalized. */
function pilBilinear(img: Image, outW: number, outH: number): Sampler {
  const weights = (inSize: number, outSize: number, i: number): Array<[number, number]> => {
    const scale = inSize / outSize;
    const support = Math.max(scale, 1);
    const centre = (i + 0.5) * scale;
    const taps: Array<[number, number]> = [];
    for (let s = 0; s < inSize; s++) {
      const w = 1 - Math.abs((s + 0.5 - centre) / support);
      if (w > 0) taps.push([s, w]);
    }
    const total = taps.reduce((sum, [, w]) => sum + w, 0);
    return taps.map(([s, w]) => [s, w / total]);
  };
  return (x, y, c) => {
    let v = 0;
    for (const [sy, wy] of weights(img.height, outH, y)) {
      for (const [sx, wx] of weights(img.width, outW, x)) v += wy * wx * img.pixels[(sy * img.width + sx) * 3 + c]!;
    }
    return v;
  };
}

/** The tensor `options` should give, from a reference sampler over the resized image and a crop window. */
function expectedTensor(
  sample: Sampler,
  options: Required<Pick<PreprocessOptions, 'size' | 'channelOrder' | 'scale' | 'mean' | 'std' | 'layout'>>,
  left = 0,
  top = 0,
): Float64Array {
  const [h, w] = options.size;
  const out = new Float64Array(3 * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < 3; k++) {
        const rgb = options.channelOrder === 'RGB' ? k : 2 - k;
        const value = (sample(x + left, y + top, rgb) * options.scale - options.mean[k]!) / options.std[k]!;
        out[options.layout === 'NCHW' ? k * h * w + y * w + x : (y * w + x) * 3 + k] = value;
      }
    }
  }
  return out;
}

function assertClose(actual: Float32Array, expected: Float64Array, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= tolerance, `${what}: max abs difference ${worst} > ${tolerance}`);
}

const CAFFE_LIKE = { channelOrder: 'BGR', scale: 1, mean: [104, 117, 123], std: [1, 1, 1], layout: 'NCHW' } as const;
const TORCH_LIKE = {
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  layout: 'NCHW',
} as const;

test('normalization without resizing: (pixel * scale - mean) / std per output channel', async () => {
  const img = { pixels: noise(6, 4, 3, 11), width: 6, height: 4 };
  const bytes = await png(img.pixels, 6, 4, 3);
  const identity: Sampler = (x, y, c) => img.pixels[(y * 6 + x) * 3 + c]!;
  for (const norm of [CAFFE_LIKE, TORCH_LIKE]) {
    for (const interpolation of ['antialias', 'bilinear'] as const) {
      const options = { ...norm, size: [4, 6] as const };
      const { data, dims } = await preprocessImage(
        bytes,
        compilePreprocess({ ...options, resize: 'stretch', interpolation }),
      );
      assert.deepEqual(dims, [1, 3, 4, 6]);
      assertClose(data, expectedTensor(identity, options), 1e-5, `${interpolation} ${norm.channelOrder}`);
    }
  }
});

test('bilinear matches a naive OpenCV INTER_LINEAR, shrinking and enlarging', async () => {
  const img = { pixels: noise(8, 6, 3, 5), width: 8, height: 6 };
  const bytes = await png(img.pixels, 8, 6, 3);
  for (const [h, w] of [
    [4, 5],
    [3, 3],
    [9, 13],
    [6, 8],
    [1, 1],
    [11, 4],
  ] as const) {
    const options = { ...CAFFE_LIKE, size: [h, w] as const };
    const { data } = await preprocessImage(
      bytes,
      compilePreprocess({ ...options, resize: 'stretch', interpolation: 'bilinear' }),
    );
    assertClose(data, expectedTensor(opencvBilinear(img, w, h), options), 1e-3, `8x6 -> ${w}x${h}`);
  }
});

test('bilinear with short-side-crop samples the crop window of the resized image', async () => {
  const img = { pixels: noise(12, 8, 3, 9), width: 12, height: 8 };
  const bytes = await png(img.pixels, 12, 8, 3);
  // 12x8 -> short side 6 -> 9x6, centre crop 4x4 at left round(2.5) = 2, top 1.
  const options = { ...TORCH_LIKE, size: [4, 4] as const };
  const config = compilePreprocess({ ...options, resizeShortSide: 6, interpolation: 'bilinear' });
  const { data } = await preprocessImage(bytes, config);
  assertClose(data, expectedTensor(opencvBilinear(img, 9, 6), options, 2, 1), 1e-5, 'crop');
});

test('antialias matches a naive PIL bilinear when enlarging (and on mixed axes)', async () => {
  const img = { pixels: noise(8, 6, 3, 21), width: 8, height: 6 };
  const bytes = await png(img.pixels, 8, 6, 3);
  for (const [h, w] of [
    [9, 13],
    [20, 20],
    [11, 5],
  ] as const) {
    const options = { ...TORCH_LIKE, size: [h, w] as const };
    const { data } = await preprocessImage(bytes, compilePreprocess({ ...options, resize: 'stretch' }));
    assertClose(data, expectedTensor(pilBilinear(img, w, h), options), 1e-4, `8x6 -> ${w}x${h}`);
  }
  // short side 6 -> 16: 21x16, centre crop 14x14 at left round(3.5) = 4, top 1.
  const options = { ...TORCH_LIKE, size: [14, 14] as const };
  const { data } = await preprocessImage(bytes, compilePreprocess({ ...options, resizeShortSide: 16 }));
  assertClose(data, expectedTensor(pilBilinear(img, 21, 16), options, 4, 1), 1e-4, 'crop');
});

test('antialias matches a naive PIL bilinear when shrinking (libvips, uint8 rounding)', async () => {
  const img = { pixels: noise(40, 30, 3, 33), width: 40, height: 30 };
  const bytes = await png(img.pixels, 40, 30, 3);
  // 40x30 -> short side 14 -> 18x14, centre crop 12x12 at left 3, top 1. The crop leaves out the outermost
  // rows and columns, where libvips extends the edge and PIL renormalizes; inside, both round to uint8.
  const options = { ...CAFFE_LIKE, mean: [0, 0, 0] as const, size: [12, 12] as const };
  const { data } = await preprocessImage(bytes, compilePreprocess({ ...options, resizeShortSide: 14 }));
  assertClose(data, expectedTensor(pilBilinear(img, 18, 14), options, 3, 1), 1.5, 'shrink 40x30 -> 18x14');
});

test('NHWC is the transpose of NCHW, BGR the reverse of RGB', async () => {
  const bytes = await png(noise(10, 7, 3, 2), 10, 7, 3);
  for (const base of [
    PRESETS.torchvision224,
    PRESETS.caffe227,
    compilePreprocess({ ...PRESETS.caffe227, interpolation: 'antialias' }),
  ]) {
    const [h, w] = base.size;
    const nchw = await preprocessImage(bytes, compilePreprocess({ ...base, layout: 'NCHW' }));
    const nhwc = await preprocessImage(bytes, compilePreprocess({ ...base, layout: 'NHWC' }));
    assert.deepEqual(nchw.dims, [1, 3, h, w]);
    assert.deepEqual(nhwc.dims, [1, h, w, 3]);
    for (let i = 0; i < h * w; i += 97) {
      for (let k = 0; k < 3; k++) assert.equal(nhwc.data[i * 3 + k], nchw.data[k * h * w + i]);
    }
    const other = base.channelOrder === 'RGB' ? 'BGR' : 'RGB';
    const reversed = (v: readonly number[]) => [v[2]!, v[1]!, v[0]!] as const;
    const swapped = await preprocessImage(
      bytes,
      compilePreprocess({ ...base, channelOrder: other, mean: reversed(base.mean), std: reversed(base.std) }),
    );
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(
        swapped.data.subarray(k * h * w, (k + 1) * h * w),
        nchw.data.subarray((2 - k) * h * w, (3 - k) * h * w),
      );
    }
  }
});

test('writes into out at an offset without touching the rest', async () => {
  const config = PRESETS.caffe227;
  const per = tensorElementsPerImage(config);
  assert.equal(per, 3 * 227 * 227);
  const a = await png(noise(30, 20, 3, 1), 30, 20, 3);
  const b = await png(noise(20, 30, 3, 2), 20, 30, 3);
  const alone = [(await preprocessImage(a, config)).data, (await preprocessImage(b, config)).data];
  const batch = new Float32Array(5 + 2 * per + 5).fill(Number.NaN);
  const results = await Promise.all(
    [a, b].map((bytes, i) => preprocessImage(bytes, config, { data: batch, offset: 5 + i * per })),
  );
  for (const r of results) {
    assert.equal(r.data, batch);
    assert.deepEqual(r.dims, tensorDimsPerImage(config));
  }
  assert.deepEqual(batch.subarray(5, 5 + per), alone[0]);
  assert.deepEqual(batch.subarray(5 + per, 5 + 2 * per), alone[1]);
  for (const i of [0, 4, 5 + 2 * per, batch.length - 1]) assert.ok(Number.isNaN(batch[i]!), `index ${i} untouched`);
});

test('misuse of preprocessImage raises TypeError or RangeError naming the argument', async () => {
  const bytes = await png(noise(4, 4, 3), 4, 4, 3);
  const per = tensorElementsPerImage(PRESETS.torchvision224);
  await assert.rejects(preprocessImage('x' as never, PRESETS.torchvision224), { name: 'TypeError', message: /bytes/ });
  await assert.rejects(preprocessImage(bytes, { ...PRESETS.torchvision224 }), { name: 'TypeError', message: /config/ });
  await assert.rejects(preprocessImage(bytes, PRESETS.torchvision224, { data: new Float64Array(per) } as never), {
    name: 'TypeError',
    message: /out\.data/,
  });
  await assert.rejects(preprocessImage(bytes, PRESETS.torchvision224, { data: new Float32Array(per), offset: -1 }), {
    name: 'RangeError',
    message: /out\.offset/,
  });
  await assert.rejects(preprocessImage(bytes, PRESETS.torchvision224, { data: new Float32Array(per), offset: 1 }), {
    name: 'RangeError',
    message: /out\.offset/,
  });
  assert.throws(() => tensorElementsPerImage({} as never), TypeError);
});
