import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePreprocess, isPreprocessConfig, PREPROCESS_DEFAULTS } from '../../src/image/index.js';

test('compilePreprocess() gives the documented defaults, frozen', () => {
  const config = compilePreprocess();
  assert.deepEqual(config, {
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
  assert.deepEqual(config, PREPROCESS_DEFAULTS);
  assert.ok(
    Object.isFrozen(config) &&
      Object.isFrozen(config.size) &&
      Object.isFrozen(config.mean) &&
      Object.isFrozen(config.std),
  );
  assert.ok(isPreprocessConfig(config));
  assert.equal(isPreprocessConfig({ ...config }), false);
});

test('options are copied, and a field set to undefined takes its default', () => {
  const mean: [number, number, number] = [1, 2, 3];
  const config = compilePreprocess({ mean, layout: undefined });
  mean[0] = 99;
  assert.deepEqual(config.mean, [1, 2, 3]);
  assert.equal(config.layout, 'NCHW');
});

test('a compiled config passed again comes back as is', () => {
  const config = compilePreprocess({ layout: 'NHWC' });
  assert.equal(compilePreprocess(config), config);
  assert.deepEqual(compilePreprocess({ ...config }), config);
});

test('misuse raises TypeError or RangeError naming the field', () => {
  const cases: Array<[unknown, ErrorConstructor, RegExp]> = [
    [null, TypeError, /options/],
    [{ resize: 'fit' }, RangeError, /options\.resize/],
    [{ resize: 3 }, TypeError, /options\.resize/],
    [{ interpolation: 'cubic' }, RangeError, /options\.interpolation/],
    [{ channelOrder: 'rgb' }, RangeError, /options\.channelOrder/],
    [{ layout: 'CHW' }, RangeError, /options\.layout/],
    [{ size: 224 }, TypeError, /options\.size/],
    [{ size: [224] }, RangeError, /options\.size/],
    [{ size: [224, 0] }, RangeError, /options\.size\[1\]/],
    [{ size: [224.5, 224] }, RangeError, /options\.size\[0\]/],
    [{ size: [20000, 224] }, RangeError, /options\.size\[0\]/],
    [{ resizeShortSide: 200 }, RangeError, /options\.resizeShortSide/],
    [{ resizeShortSide: '256' }, TypeError, /options\.resizeShortSide/],
    [{ scale: 0 }, RangeError, /options\.scale/],
    [{ scale: Number.NaN }, RangeError, /options\.scale/],
    [{ mean: [0, 0] }, RangeError, /options\.mean/],
    [{ mean: [0, 0, 'x'] }, TypeError, /options\.mean\[2\]/],
    [{ std: [1, 0, 1] }, RangeError, /options\.std\[1\]/],
    [{ std: [1, 1, Infinity] }, RangeError, /options\.std\[2\]/],
    [{ maxInputBytes: -1 }, RangeError, /options\.maxInputBytes/],
    [{ maxPixels: 1.5 }, RangeError, /options\.maxPixels/],
    [{ layour: 'NHWC' }, TypeError, /options\.layour/],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(
      () => compilePreprocess(options as never),
      (e: unknown) => e instanceof type && message.test((e as Error).message),
      JSON.stringify(options),
    );
  }
});

test('stretch does not need resizeShortSide to cover the size', () => {
  const config = compilePreprocess({ resize: 'stretch', size: [300, 300] });
  assert.equal(config.resize, 'stretch');
});
