import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  OnnxRuntimeBackend,
  RESERVED_BACKEND_NAMES,
  createBackend,
  listBackends,
  registerBackend,
  unregisterBackend,
  type Backend,
} from '../../src/index.js';
import { sharedModel } from '@tachyon-serve/test-support';

test('onnxruntime-cpu is registered and is what createBackend() gives by default; it runs a real model', async (t) => {
  assert.ok(listBackends().some((b) => b.name === 'onnxruntime-cpu'));
  const backend = createBackend({ workers: 1 });
  t.after(() => backend.close());
  assert.ok(backend instanceof OnnxRuntimeBackend);
  assert.equal(backend.name, 'onnxruntime-cpu');
  const session = await backend.createSession(sharedModel('mobilenetv2-int8-qdq.onnx'));
  const out = await session.run({
    input: { dtype: 'float32', dims: [1, 3, 224, 224], data: new Float32Array(3 * 224 * 224) },
  });
  assert.deepEqual(out['logits']!.dims, [1, 1000]);
  await session.close();
});

test('backends are tried by priority; a failing one is skipped and every failure is listed when none works', (t) => {
  const made: string[] = [];
  const fake = (name: string): Backend => {
    made.push(name);
    return {
      name,
      config: Object.freeze({ workers: 1, intraOpThreads: 1 }),
      createSession: () => Promise.reject(new Error('fake')),
      close: async () => undefined,
    } as unknown as Backend;
  };
  registerBackend(
    'test-broken',
    () => {
      throw new Error('no device here');
    },
    1000,
  );
  registerBackend('test-fast', () => fake('test-fast'), 500);
  t.after(() => {
    unregisterBackend('test-broken');
    unregisterBackend('test-fast');
  });
  assert.deepEqual(
    listBackends()
      .slice(0, 3)
      .map((b) => b.name),
    ['test-broken', 'test-fast', 'onnxruntime-cpu'],
  );
  assert.equal(createBackend().name, 'test-fast');
  assert.deepEqual(made, ['test-fast']);
  assert.throws(
    () => createBackend({ backends: ['test-broken'] }),
    (e: unknown) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_BACKEND_UNAVAILABLE'));
      assert.deepEqual(e.details, { attempts: [{ backend: 'test-broken', reason: 'no device here' }] });
      return true;
    },
  );
  assert.throws(
    () => createBackend({ backends: ['nope'] }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_BACKEND_NOT_FOUND'),
  );
});

test('reserved names, duplicates and bad arguments are refused', () => {
  for (const name of RESERVED_BACKEND_NAMES)
    assert.throws(() => registerBackend(name, () => createBackend(), 1), TypeError);
  assert.throws(() => unregisterBackend('onnxruntime-cpu'), TypeError);
  assert.throws(() => registerBackend('Bad Name', () => createBackend(), 1), TypeError);
  assert.throws(() => registerBackend('ok-name', () => createBackend(), Number.NaN), RangeError);
  registerBackend('test-once', () => createBackend(), 1);
  try {
    assert.throws(() => registerBackend('test-once', () => createBackend(), 1), TypeError);
  } finally {
    unregisterBackend('test-once');
  }
});
