import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRegistryStore } from '@tachyon-serve/core';
import { ServiceStateHistory } from '../../src/daemon/ui-state-history.js';

const SHA = 'a'.repeat(64);

test('a wrapped registry store records every state written through it, once per change, and forgets deleted services', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-ui-history-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const raw = await createRegistryStore(join(dir, 'registry.db'));
  t.after(() => raw.close());
  const history = new ServiceStateHistory({ limit: 4 });
  const store = history.wrapStore(raw);
  assert.equal(store.kind, raw.kind, 'other members pass through');
  await store.insertVersion({ name: 'm', sha256: SHA, size: 1, kind: 'onnx' });

  const { changed } = await store.putDeployment({
    name: 'svc',
    spec: { a: 1 },
    state: 'Transitioning',
    model: { name: 'm', version: 1 },
  });
  assert.equal(changed, true);
  await store.setDeploymentState('svc', 'Healthy', null, { pid: 1 });
  await store.setDeploymentState('svc', 'Healthy', null, { pid: 2 }); // same state and reason: not a change
  await store.setDeploymentState('svc', 'Unhealthy', 'was killed by SIGKILL');
  await store.putDeployment({ name: 'svc', spec: { a: 1 }, state: 'Transitioning', model: { name: 'm', version: 1 } }); // unchanged spec
  assert.deepEqual(
    history.get('svc').map((c) => [c.state, c.reason, c.generation]),
    [
      ['Transitioning', 'deployed generation 1', 1],
      ['Healthy', null, 1],
      ['Unhealthy', 'was killed by SIGKILL', 1],
    ],
  );
  for (const state of ['Transitioning', 'Healthy', 'Unhealthy'])
    await store.setDeploymentState('svc', state, `again ${state}`);
  assert.equal(history.get('svc').length, 4, 'bounded by the limit');
  assert.equal(history.get('svc')[3]!.reason, 'again Unhealthy', 'the newest are kept');

  assert.equal(await store.deleteDeployment('svc'), true);
  assert.deepEqual(history.get('svc'), []);
  // A row the daemon found at start seeds the history with its current state.
  const seeded = history.get('old', {
    name: 'old',
    state: 'Failed',
    reason: 'exit 2',
    generation: 3,
    updatedAt: '2026-01-01T00:00:00.000Z',
    spec: {},
    runtime: {},
    createdAt: '',
  });
  assert.deepEqual(seeded, [{ at: '2026-01-01T00:00:00.000Z', state: 'Failed', reason: 'exit 2', generation: 3 }]);
  assert.throws(() => new ServiceStateHistory({ limit: 0 }), RangeError);
});
