import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePreprocess, computeResizeGeometry, PRESETS, roundHalfEven } from '../../src/image/index.js';

test('roundHalfEven is Python 3 round()', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 58.5, 57.5, 16, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 58, 58, 16, 2, 3]);
});

test('short-side-crop reproduces torchvision Resize(256) + CenterCrop(224)', () => {
  const g = (w: number, h: number) => computeResizeGeometry(w, h, PRESETS.torchvision224);
  // 500x375: long side int(256 * 500 / 375) = 341; left = round(58.5) = 58 (half to even), top = 16.
  assert.deepEqual(g(500, 375), { resizedWidth: 341, resizedHeight: 256, left: 58, top: 16, width: 224, height: 224 });
  // portrait 375x500 mirrors it.
  assert.deepEqual(g(375, 500), { resizedWidth: 256, resizedHeight: 341, left: 16, top: 58, width: 224, height: 224 });
  // 339 wide: round(57.5) = 58.
  assert.deepEqual(g(339, 256), { resizedWidth: 339, resizedHeight: 256, left: 58, top: 16, width: 224, height: 224 });
  // square and upscaled inputs.
  assert.deepEqual(g(100, 100), { resizedWidth: 256, resizedHeight: 256, left: 16, top: 16, width: 224, height: 224 });
  // truncation, not rounding: 256 * 333 / 200 = 426.24 -> 426; 256 * 401 / 300 = 342.18 -> 342.
  assert.equal(g(333, 200).resizedWidth, 426);
  assert.equal(g(401, 300).resizedWidth, 342);
  assert.equal(g(300, 401).resizedHeight, 342);
});

test('stretch maps the whole image onto size [height, width]', () => {
  const config = compilePreprocess({ resize: 'stretch', size: [227, 300] });
  assert.deepEqual(computeResizeGeometry(500, 375, config), {
    resizedWidth: 300,
    resizedHeight: 227,
    left: 0,
    top: 0,
    width: 300,
    height: 227,
  });
});

test('a non-square crop uses height and width in that order', () => {
  const config = compilePreprocess({ size: [100, 200], resizeShortSide: 200 });
  assert.deepEqual(computeResizeGeometry(400, 300, config), {
    resizedWidth: 266,
    resizedHeight: 200,
    left: 33,
    top: 50,
    width: 200,
    height: 100,
  });
});
