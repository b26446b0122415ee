import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVICE_STATES, isTachyonError, type ServiceState } from '@tachyon-serve/protocol';
import { SERVICE_TRANSITIONS, assertTransition, canTransition } from '../../src/controller/deployment-states.js';

// Every pair, written out: the table the controller enforces (docs/deployments.md).
const ALLOWED: Record<ServiceState, ServiceState[]> = {
  Transitioning: ['Transitioning', 'Healthy', 'Unhealthy', 'Failed', 'Deleting'],
  Healthy: ['Healthy', 'Transitioning', 'Unhealthy', 'Deleting'],
  Unhealthy: ['Unhealthy', 'Healthy', 'Transitioning', 'Failed', 'Deleting'],
  Failed: ['Failed', 'Transitioning', 'Deleting'],
  Deleting: [],
};

test('canTransition allows exactly the documented changes, for all 25 pairs', () => {
  for (const from of SERVICE_STATES) {
    for (const to of SERVICE_STATES) {
      assert.equal(canTransition(from, to), ALLOWED[from].includes(to), `${from} -> ${to}`);
    }
  }
  assert.deepEqual(Object.keys(SERVICE_TRANSITIONS).sort(), [...SERVICE_STATES].sort());
});

test('key cases: Failed never turns Healthy by itself, Deleting is final, every state can be deleted', () => {
  assert.equal(
    canTransition('Failed', 'Healthy'),
    false,
    'a Failed service is only revived by a redeploy (Transitioning)',
  );
  assert.equal(canTransition('Healthy', 'Failed'), false, 'a healthy service crashes into Unhealthy first');
  for (const to of SERVICE_STATES) assert.equal(canTransition('Deleting', to), false);
  for (const from of SERVICE_STATES.filter((s) => s !== 'Deleting'))
    assert.equal(canTransition(from, 'Deleting'), true);
});

test('assertTransition: TCH_ERR_SERVICE_STATE_INVALID naming the allowed changes; bad names are RangeErrors', () => {
  assert.doesNotThrow(() => assertTransition('vision', 'Healthy', 'Transitioning'));
  assert.throws(
    () => assertTransition('vision', 'Deleting', 'Transitioning'),
    (e: unknown) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_SERVICE_STATE_INVALID'));
      assert.deepEqual(e.details, { service: 'vision', from: 'Deleting', to: 'Transitioning', allowed: [] });
      assert.match(e.message, /"vision" cannot go from Deleting to Transitioning/);
      return true;
    },
  );
  assert.throws(
    () => assertTransition('vision', 'Failed', 'Healthy'),
    (e: unknown) => isTachyonError(e) && /Transitioning, Deleting/.test(e.message),
  );
  assert.throws(() => canTransition('Running' as ServiceState, 'Healthy'), RangeError);
  assert.throws(() => canTransition('Healthy', 'gone' as ServiceState), /to: expected one of/);
});
