// kill -9 of `tachyon model register` (spread over a registration, and at the blob/row boundary) and a full disk:
// the registry is consistent after its own recovery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canMount, runDiskFull, runKillDuringRegister } from '../src/registry-faults.js';
import { checkList } from './support.js';
import { tempDir } from '@tachyon-serve/test-support';

test('kill -9 during register leaves no half row, orphan blob, journal row or staging file', async (t) => {
  const { checks, get } = checkList();
  await runKillDuringRegister(tempDir(t, 'tachyon-reliability-test-'), checks, 2);
  const check = get('kill-during-register');
  assert.ok(check.pass, check.observed);
  assert.match(check.observed, /registry consistent every time/);
});

test('disk full while registering: TCH_ERR_REGISTRY_STORAGE_FAILED and nothing half-written (tmpfs; needs root)', async (t) => {
  const { checks, get } = checkList();
  await runDiskFull(tempDir(t, 'tachyon-reliability-test-'), checks);
  const check = get('disk-full');
  assert.ok(check.pass, check.observed);
  if (canMount()) {
    assert.match(check.observed, /^TCH_ERR_REGISTRY_STORAGE_FAILED .*then 0 versions, 0 blobs, 0 bytes used/);
  } else {
    assert.equal(check.details?.['skipped'], true, 'without root the check says it was skipped');
  }
});
