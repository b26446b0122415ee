import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileZipLimits, ZIP_LIMITS_DEFAULTS } from '../../src/service-def/index.js';

test('compileZipLimits() gives the documented defaults, frozen', () => {
  const config = compileZipLimits();
  assert.deepEqual(config, {
    maxEntries: 1000,
    maxTotalBytes: 4 * 1024 ** 3,
    maxCompressionRatio: 200,
    compressionRatioMinBytes: 1024 ** 2,
    maxManifestBytes: 1024 ** 2,
  });
  assert.deepEqual(config, ZIP_LIMITS_DEFAULTS);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(ZIP_LIMITS_DEFAULTS));
  assert.equal(compileZipLimits(config), config);
});

test('a field set to undefined takes its default; others are kept', () => {
  assert.deepEqual(compileZipLimits({ maxEntries: 5, maxTotalBytes: undefined }), {
    ...ZIP_LIMITS_DEFAULTS,
    maxEntries: 5,
  });
});

test('misuse raises TypeError or RangeError naming the field', () => {
  assert.throws(() => compileZipLimits(null as never), /limits must be an object/);
  assert.throws(() => compileZipLimits({ maxFiles: 3 } as never), /limits\.maxFiles is not a zip limit/);
  assert.throws(() => compileZipLimits({ maxEntries: '3' as never }), TypeError);
  assert.throws(() => compileZipLimits({ maxEntries: 0 }), /limits\.maxEntries must be a positive integer, not 0/);
  assert.throws(() => compileZipLimits({ maxCompressionRatio: 1.5 }), RangeError);
});
