// Found by the reliability suite (test/reliability, overload): a batch that finishes after a job's deadline, while
// the event loop was too busy for the deadline timer to fire first, must not answer that job with its result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { ModelScheduler, compileSchedulerOptions } from '../../src/index.js';

test('a result that arrives past the deadline, before the late timer fired, is a deadline error, not an answer', async () => {
  let deadline = 0;
  const scheduler = new ModelScheduler<string, string>(
    'busy',
    async (payloads) => {
      // Blocks the event loop until the deadline has surely passed: its timer cannot run before this batch settles.
      while (performance.now() <= deadline + 5);
      return payloads.map((p) => `r:${p}`);
    },
    compileSchedulerOptions({}),
  );
  deadline = performance.now() + 20;
  const late = scheduler.submit({ rows: 1, deadline, prepare: async () => 'late' });
  const onTime = scheduler.submit({ rows: 1, prepare: async () => 'no-deadline' });
  await assert.rejects(
    late,
    (e: unknown) => isTachyonError(e, 'TCH_ERR_DEADLINE_EXCEEDED') && /while it was running/.test(e.message),
  );
  assert.equal((await onTime).result, 'r:no-deadline');
});
