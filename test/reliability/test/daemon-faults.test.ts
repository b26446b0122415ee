// The deployment daemon under kill -9: service restarted; daemon killed after and during a deploy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDaemonFaults } from '../src/daemon-faults.js';
import { checkList } from './support.js';
import { tempDir } from '@tachyon-serve/test-support';

test('kill -9 of a service and of the daemon during deploys: services come back, the registry stays consistent', async (t) => {
  const { checks, get } = checkList();
  await runDaemonFaults(tempDir(t, 'tachyon-reliability-test-'), checks);
  for (const id of ['kill-service', 'kill-daemon-after-deploy', 'kill-daemon-during-deploy']) {
    const check = get(id);
    assert.ok(check.pass, `${id}: ${check.observed}`);
  }
});
