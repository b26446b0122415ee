import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { closedLoop, measurePeersAtConcurrency, type LoadSamples } from '../../src/peers/closed-loop.js';

const empty = (): LoadSamples => ({
  name: 'x',
  concurrency: 4,
  okMs: [],
  errors: 0,
  errorMessages: [],
  seconds: 0,
  otherCores: undefined,
});

test('closedLoop sends exactly `total` requests with at most `concurrency` in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const into = empty();
  await closedLoop(
    async () => {
      most = Math.max(most, ++inFlight);
      await sleep(1);
      inFlight--;
    },
    4,
    10,
    into,
  );
  assert.equal(into.okMs.length, 10);
  assert.equal(most, 4);
  await assert.rejects(
    closedLoop(async () => undefined, 0, 1, empty()),
    RangeError,
  );
});

test('errors are counted with their first messages, never thrown', async () => {
  let n = 0;
  const into = empty();
  await closedLoop(
    async () => {
      if (++n % 2 === 0) throw new Error(`boom ${n}\nstack`);
    },
    2,
    6,
    into,
  );
  assert.equal(into.okMs.length, 3);
  assert.equal(into.errors, 3);
  assert.deepEqual(into.errorMessages, ['boom 2', 'boom 4', 'boom 6']);
});

test('every peer gets its requests at the level, in rounds, plus untimed warm-up calls', async () => {
  const calls = { a: 0, b: 0 };
  const order: string[] = [];
  const peer = (name: 'a' | 'b') => ({ name, call: async () => void (calls[name]++, order.push(name)) });
  const results = await measurePeersAtConcurrency([peer('a'), peer('b')], {
    concurrency: 2,
    requests: 8,
    rounds: 2,
    pauseMs: 0,
  });
  assert.deepEqual(
    results.map((r) => [r.name, r.concurrency, r.okMs.length]),
    [
      ['a', 2, 8],
      ['b', 2, 8],
    ],
  );
  assert.deepEqual(calls, { a: 8 + 2 + 2, b: 8 + 2 + 2 });
  // rounds rotate the starting peer: a first in round 0, b first in round 1
  assert.equal(order[0], 'a');
  assert.equal(order[order.length - 1], 'a');
});
