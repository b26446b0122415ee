// A session that throws and a session worker that exits mid-request, inside a real server process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWorkerFaults } from '../src/worker-faults.js';
import { checkList } from './support.js';
import { tempDir } from '@tachyon-serve/test-support';

test('a throwing session fails only its request; an exiting worker fails its request, is replaced, and the next succeed', async (t) => {
  const { checks, get } = checkList();
  await runWorkerFaults(tempDir(t, 'tachyon-reliability-test-'), checks);
  const throws = get('session-throws');
  assert.ok(throws.pass, throws.observed);
  assert.match(throws.observed, /^500 TCH_ERR_SESSION_RUN_FAILED/);
  const exit = get('worker-exit');
  assert.ok(exit.pass, exit.observed);
  assert.match(exit.observed, /^500 TCH_ERR_WORKER_CRASHED; workers spawned after: 1; next 5 requests: 5\/5 ok/);
});
