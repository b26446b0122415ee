import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { OnnxRuntimeBackend, compileWorkerPoolOptions, type TensorData } from '../../src/index.js';
import { sharedModel } from '@tachyon-serve/test-support';

const MOBILENET = sharedModel('mobilenetv2-int8-qdq.onnx');

function randomImageTensor(seed: number): TensorData {
  const data = new Float32Array(3 * 224 * 224);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    data[i] = (x / 2147483648) * 4 - 2;
  }
  return { dtype: 'float32', dims: [1, 3, 224, 224], data };
}

test('a session reports io names, dtypes and dims read from the model, and the provider it runs on', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  assert.deepEqual(session.inputs, [{ name: 'input', dtype: 'float32', dims: [-1, 3, 224, 224] }]);
  assert.deepEqual(session.outputs, [{ name: 'logits', dtype: 'float32', dims: [-1, 1000] }]);
  assert.equal(session.provider, 'cpu');
  assert.deepEqual(session.fallbacks, []);
});

test('parallel runs on a 2-worker pool all return the result of their own input, off the main thread', async (t) => {
  const backend = new OnnxRuntimeBackend({ workers: 2, intraOpThreads: 1, cores: 2 });
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  const inputs = Array.from({ length: 8 }, (_, i) => randomImageTensor(i + 1));
  // Reference: the same inputs run one at a time.
  const expected: TensorData['data'][] = [];
  for (const input of inputs) expected.push((await session.run({ input }))['logits']!.data);

  let timerFired = false;
  let timerFiredBeforeAllDone = false;
  setTimeout(() => (timerFired = true), 0);
  const parallel = Promise.all(inputs.map((input) => session.run({ input })));
  void parallel.then(() => (timerFiredBeforeAllDone = timerFired));
  const results = await parallel;
  // Ordering, not timing: the event loop stayed free while inference ran in workers.
  assert.equal(timerFiredBeforeAllDone, true);
  results.forEach((r, i) => assert.deepEqual(r['logits']!.data, expected[i], `run ${i}`));
  assert.notDeepEqual(expected[0], expected[1]);
});

test('inputs are copied by default and transferred (detached) on request', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  const kept = randomImageTensor(7);
  await session.run({ input: kept });
  assert.equal(kept.data.length, 3 * 224 * 224);
  const moved = randomImageTensor(7);
  await session.run({ input: moved }, { transfer: true });
  assert.equal(moved.data.length, 0, 'the transferred buffer is detached');
});

test('every call is checked against the model inputs with a clear error code', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  const good = randomImageTensor(1);
  const cases: [Record<string, TensorData>, string][] = [
    [{}, 'TCH_ERR_TENSOR_INPUT_MISSING'],
    [{ input: good, extra: good }, 'TCH_ERR_TENSOR_INPUT_UNKNOWN'],
    [
      { input: { dtype: 'int32', dims: [1, 3, 224, 224], data: new Int32Array(3 * 224 * 224) } },
      'TCH_ERR_TENSOR_DTYPE_MISMATCH',
    ],
    [
      { input: { dtype: 'float32', dims: [1, 3, 224, 224], data: new Float64Array(3 * 224 * 224) as never } },
      'TCH_ERR_TENSOR_DTYPE_MISMATCH',
    ],
    [
      { input: { dtype: 'float32', dims: [1, 3, 224, 225], data: new Float32Array(3 * 224 * 225) } },
      'TCH_ERR_TENSOR_SHAPE_MISMATCH',
    ],
    [
      { input: { dtype: 'float32', dims: [3, 224, 224], data: new Float32Array(3 * 224 * 224) } },
      'TCH_ERR_TENSOR_SHAPE_MISMATCH',
    ],
    [
      { input: { dtype: 'float32', dims: [1, 3, 224, 224], data: new Float32Array(10) } },
      'TCH_ERR_TENSOR_SHAPE_MISMATCH',
    ],
  ];
  for (const [feeds, code] of cases) {
    await assert.rejects(session.run(feeds), (e: unknown) => isTachyonError(e) && e.code === code, code);
  }
  // A dynamic batch dimension accepts any batch size.
  const batch = new Float32Array(2 * 3 * 224 * 224);
  const out = await session.run({ input: { dtype: 'float32', dims: [2, 3, 224, 224], data: batch } });
  assert.deepEqual(out['logits']!.dims, [2, 1000]);
});

test('execution providers: the first that initializes wins and the failures are kept; none -> one aggregated error', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  // No GPU on this machine: tensorrt and cuda fail to initialize, cpu takes over.
  const session = await backend.createSession(MOBILENET, { executionProviders: ['tensorrt', 'cuda', 'cpu'] });
  assert.equal(session.provider, 'cpu');
  assert.deepEqual(
    session.fallbacks.map((f) => f.provider),
    ['tensorrt', 'cuda'],
  );
  for (const f of session.fallbacks) assert.ok(f.reason.length > 0);
  await assert.rejects(backend.createSession(MOBILENET, { executionProviders: ['tensorrt', 'cuda'] }), (e: unknown) => {
    if (!isTachyonError(e, 'TCH_ERR_BACKEND_NO_PROVIDER')) return false;
    const attempts = e.details?.['attempts'] as { provider: string; reason: string }[];
    return attempts.length === 2 && attempts[0]!.provider === 'tensorrt' && attempts[1]!.provider === 'cuda';
  });
});

test('model files: missing -> TCH_ERR_IO_NOT_FOUND, not ONNX -> TCH_ERR_MODEL_LOAD_FAILED', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  await assert.rejects(backend.createSession('/nonexistent/model.onnx'), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'),
  );
  await assert.rejects(backend.createSession(new URL(import.meta.url).pathname), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_MODEL_LOAD_FAILED'),
  );
});

test('a closed session refuses runs', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  await session.close();
  await assert.rejects(session.run({ input: randomImageTensor(1) }), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_SESSION_CLOSED'),
  );
});

test('the thread budget: workers x intra-op threads never exceed the cores unless oversubscribe is set', () => {
  assert.deepEqual(compileWorkerPoolOptions({ cores: 2 }), {
    workers: 1,
    intraOpThreads: 2,
    cores: 2,
    transport: 'shared',
    intraOpSpinning: false,
  });
  assert.deepEqual(compileWorkerPoolOptions({ cores: 8, workers: 4, transport: 'message' }), {
    workers: 4,
    intraOpThreads: 2,
    cores: 8,
    transport: 'message',
    intraOpSpinning: false,
  });
  assert.throws(() => compileWorkerPoolOptions({ transport: 'pipe' as 'shared' }), TypeError);
  assert.throws(() => compileWorkerPoolOptions({ cores: 2, workers: 2, intraOpThreads: 2 }), RangeError);
  assert.throws(() => compileWorkerPoolOptions({ cores: 2, workers: 3 }), RangeError);
  assert.deepEqual(compileWorkerPoolOptions({ cores: 2, workers: 3, oversubscribe: true }), {
    workers: 3,
    intraOpThreads: 1,
    cores: 2,
    transport: 'shared',
    intraOpSpinning: false,
  });
  assert.equal(compileWorkerPoolOptions({ intraOpSpinning: true }).intraOpSpinning, true);
  assert.throws(() => compileWorkerPoolOptions({ intraOpSpinning: 'yes' as unknown as boolean }), TypeError);
});

test('intra-op spinning: off by default, TACHYON_INTRA_OP_SPINNING sets the default, the option wins', (t) => {
  const saved = process.env['TACHYON_INTRA_OP_SPINNING'];
  t.after(() => {
    if (saved === undefined) delete process.env['TACHYON_INTRA_OP_SPINNING'];
    else process.env['TACHYON_INTRA_OP_SPINNING'] = saved;
  });
  delete process.env['TACHYON_INTRA_OP_SPINNING'];
  assert.equal(compileWorkerPoolOptions().intraOpSpinning, false);
  process.env['TACHYON_INTRA_OP_SPINNING'] = '1';
  assert.equal(compileWorkerPoolOptions().intraOpSpinning, true);
  assert.equal(compileWorkerPoolOptions({ intraOpSpinning: false }).intraOpSpinning, false);
  process.env['TACHYON_INTRA_OP_SPINNING'] = 'yes';
  assert.throws(
    () => compileWorkerPoolOptions(),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'),
  );
});
