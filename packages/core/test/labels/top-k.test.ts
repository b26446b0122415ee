import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { imagenetClassNames, parseLabels, softmax, topK } from '../../src/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '@tachyon-serve/test-support';

test('the shipped ImageNet labels are the 1000 classes of ../shared/labels, in order', () => {
  const shipped = imagenetClassNames();
  assert.equal(shipped.length, 1000);
  assert.deepEqual(shipped, parseLabels(readFileSync(join(sharedDir(), 'labels', 'imagenet-classes.txt'), 'utf8')));
  assert.equal(shipped[0], 'tench');
});

test('softmax is stable for large logits and sums to 1', () => {
  const p = softmax([1000, 1001, 1002]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(Math.abs(p[2]! - Math.exp(2) / (1 + Math.exp(1) + Math.exp(2))) < 1e-12);
});

test('topK agrees with a full sort on random rows, for logits and probabilities', () => {
  const labels = Array.from({ length: 50 }, (_, i) => `c${i}`);
  let seed = 42;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 10 - 5;
  for (let trial = 0; trial < 20; trial++) {
    const row = Float32Array.from({ length: 50 }, random);
    for (const k of [1, 5, 50]) {
      const expected = [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b).slice(0, k);
      const got = topK(row, k, labels, 'probabilities');
      assert.deepEqual(
        got.map((e) => e.index),
        expected,
      );
      assert.deepEqual(
        got.map((e) => e.label),
        expected.map((i) => `c${i}`),
      );
      const fromLogits = topK(row, k, labels, 'logits');
      assert.deepEqual(
        fromLogits.map((e) => e.index),
        expected,
      );
      for (const e of fromLogits) assert.ok(e.score > 0 && e.score < 1);
    }
  }
});

test('topK: ties keep the lower index first; label count must match', () => {
  assert.deepEqual(
    topK([0.25, 0.5, 0.25], 2, ['a', 'b', 'c'], 'probabilities').map((e) => e.index),
    [1, 0],
  );
  assert.throws(
    () => topK([1, 2], 1, ['a'], 'logits'),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_LABELS_MISMATCH'),
  );
  assert.throws(() => topK([1, 2], 0, ['a', 'b'], 'logits'), RangeError);
});
