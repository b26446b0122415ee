import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStratifiedSplit } from '../../src/training/index.js';

test('each class is split on its own, at least one sample on each side, deterministically', () => {
  const labels = [...Array(10).fill(0), ...Array(2).fill(1), ...Array(5).fill(2)] as number[];
  const split = buildStratifiedSplit(labels, 0.2, 9);
  const count = (indices: readonly number[], label: number) => indices.filter((i) => labels[i] === label).length;
  assert.deepEqual(
    [0, 1, 2].map((c) => count(split.validation, c)),
    [2, 1, 1],
  );
  assert.deepEqual(
    [0, 1, 2].map((c) => count(split.train, c)),
    [8, 1, 4],
  );
  assert.deepEqual(
    [...split.train, ...split.validation].sort((a, b) => a - b),
    labels.map((_, i) => i),
  );
  assert.deepEqual(buildStratifiedSplit(labels, 0.2, 9), split);
  assert.notDeepEqual(buildStratifiedSplit(labels, 0.2, 10).validation, split.validation);
  assert.deepEqual(buildStratifiedSplit(labels, 0, 9).validation, []);
  assert.throws(() => buildStratifiedSplit(labels, 1, 9), RangeError);
});
