import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeStats } from '../../src/quantize/range-stats.js';
import { activationParams, quantizeWeights } from '../../src/quantize/quant-params.js';
import { seededRandom } from './generated-models.js';

/** 100000 half-normal values (post-ReLU like) plus 10 far outliers at 50. */
function withOutliers(): Float32Array {
  const rand = seededRandom(3);
  const v = new Float32Array(100_010);
  for (let i = 0; i < 100_000; i++)
    v[i] = Math.abs(Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand()));
  v.fill(50, 100_000);
  return v;
}

test('minmax keeps the outliers; percentile and entropy clip them', () => {
  const values = withOutliers();
  const ranges = Object.fromEntries(
    (['minmax', 'percentile', 'entropy'] as const).map((m) => {
      const s = new RangeStats(m);
      // in two batches, the second with the larger values: the histogram must re-bin
      s.add(values.subarray(0, 50_000));
      s.add(values.subarray(50_000));
      return [m, s.range(m, 99.9)];
    }),
  );
  assert.deepEqual(ranges['minmax'], [0, 50]);
  assert.equal(ranges['percentile']![0], -0);
  assert.ok(ranges['percentile']![1] > 3 && ranges['percentile']![1] < 4, `percentile hi ${ranges['percentile']![1]}`);
  assert.ok(ranges['entropy']![1] > 2 && ranges['entropy']![1] < 15, `entropy hi ${ranges['entropy']![1]}`);
});

test('a range always holds 0; uint8 parameters put 0 on an exact level', () => {
  const s = new RangeStats('minmax');
  s.add(Float32Array.of(2, 3, 5));
  assert.deepEqual(s.range('minmax', 100), [0, 5]);
  const p = activationParams(-1, 3, 'uint8');
  assert.equal(p.zeroPoint, Math.round(255 / 4));
  assert.ok(Math.abs(p.scale - 4 / 255) < 1e-9);
  assert.deepEqual(activationParams(0, 6, 'int8').zeroPoint, -128);
  assert.deepEqual(activationParams(0, 0, 'uint8'), { scale: 1, zeroPoint: 0 });
});

test('weights: symmetric int8 per channel, the largest |w| of each channel maps to 127', () => {
  const w = Float32Array.of(1, -0.5, 0.25, 0, 10, -20, 5, 2.5);
  const q = quantizeWeights(w, [2, 4], 0);
  assert.deepEqual(
    [...q.scales].map((s) => +s.toFixed(6)),
    [+(1 / 127).toFixed(6), +(20 / 127).toFixed(6)],
  );
  assert.deepEqual([...q.values], [127, -64, 32, 0, 64, -127, 32, 16]);
  const perTensor = quantizeWeights(w, [2, 4], undefined);
  assert.equal(perTensor.scales.length, 1);
  assert.equal(perTensor.values[0], 6);
});
