import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleProcessSignals } from '../src/serve/process-signals.js';
import { createServeLogger } from '../src/serve/serve-logger.js';

test('a second Ctrl-C (SIGINT) during a drain exits at once with 130; a second SIGTERM keeps draining', async () => {
  const lines: string[] = [];
  const exits: number[] = [];
  let finishDrain!: () => void;
  const server = {
    reload: async () => undefined,
    close: () =>
      new Promise<void>((resolve) => {
        finishDrain = resolve;
      }),
  };
  const handling = handleProcessSignals(
    server,
    createServeLogger({ write: (l) => void lines.push(l) }),
    (code) => void exits.push(code),
  );
  try {
    process.emit('SIGINT', 'SIGINT');
    assert.match(lines.join(''), /SIGINT received: draining/);
    process.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(exits, [], 'a second SIGTERM waits for the drain');
    process.emit('SIGINT', 'SIGINT');
    assert.deepEqual(exits, [130]);
    assert.match(lines.join(''), /SIGINT received again while draining: exiting now/);
  } finally {
    finishDrain();
    await handling.closed;
  }
});
