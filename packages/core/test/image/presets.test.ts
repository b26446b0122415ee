import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { isPreprocessConfig, PRESET_NAMES, PRESETS, presetByName } from '../../src/image/index.js';

test('torchvision224 is Resize(256) + CenterCrop(224), RGB, /255, ImageNet mean/std, NCHW', () => {
  assert.deepEqual(PRESETS.torchvision224, {
    resize: 'short-side-crop',
    resizeShortSide: 256,
    size: [224, 224],
    interpolation: 'antialias',
    channelOrder: 'RGB',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    layout: 'NCHW',
    maxInputBytes: 20 * 1024 * 1024,
    maxPixels: 40_000_000,
  });
});

test('caffe227 is a plain bilinear stretch to 227x227, BGR, 0..255, mean B104 G117 R123', () => {
  const c = PRESETS.caffe227;
  assert.equal(c.resize, 'stretch');
  assert.deepEqual(c.size, [227, 227]);
  assert.equal(c.interpolation, 'bilinear');
  assert.equal(c.channelOrder, 'BGR');
  assert.equal(c.scale, 1);
  assert.deepEqual(c.mean, [104, 117, 123]);
  assert.deepEqual(c.std, [1, 1, 1]);
  assert.equal(c.layout, 'NCHW');
});

test('caffe224 is the Caffe DenseNet input: Resize(256) + CenterCrop(224), BGR, (x - mean) * 0.017', () => {
  const c = PRESETS.caffe224;
  assert.equal(c.resize, 'short-side-crop');
  assert.deepEqual(c.size, [224, 224]);
  assert.equal(c.channelOrder, 'BGR');
  assert.deepEqual(c.mean, [103.94, 116.78, 123.68]);
  for (const std of c.std) assert.ok(Math.abs(1 / std - 0.017) < 1e-12);
});

test('presetByName returns the frozen compiled presets', () => {
  assert.deepEqual([...PRESET_NAMES], ['torchvision224', 'caffe227', 'caffe224']);
  for (const name of PRESET_NAMES) {
    assert.equal(presetByName(name), PRESETS[name]);
    assert.ok(isPreprocessConfig(PRESETS[name]) && Object.isFrozen(PRESETS[name]));
  }
  assert.ok(Object.isFrozen(PRESETS));
});

test('an unknown preset raises TCH_ERR_IMAGE_PRESET_UNKNOWN listing the known names', () => {
  for (const name of ['resnet', 'toString', '__proto__', '']) {
    assert.throws(
      () => presetByName(name),
      (e: unknown) =>
        isTachyonError(e, 'TCH_ERR_IMAGE_PRESET_UNKNOWN') &&
        e.kind === 'NOT_FOUND' &&
        JSON.stringify(e.details?.['known']) === '["torchvision224","caffe227","caffe224"]',
    );
  }
  assert.throws(() => presetByName(42 as never), TypeError);
});
