import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import workerThreads from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import { OnnxRuntimeBackend, type TensorData } from '../../src/index.js';
import { SharedRunChannel, type ChannelOutcome } from '../../src/backends/shared-channel.js';
import { serveSharedChannel } from '../../src/backends/shared-channel-worker.js';
import { RING_SLOTS } from '../../src/backends/shared-layout.js';
import { sharedModel } from '@tachyon-serve/test-support';

const MOBILENET = sharedModel('mobilenetv2-int8-qdq.onnx');
const IMAGE = 3 * 224 * 224;

function imageBatch(batch: number, seed: number): TensorData {
  const data = new Float32Array(batch * IMAGE);
  let x = seed;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    data[i] = (x / 2147483648) * 4 - 2;
  }
  return { dtype: 'float32', dims: [batch, 3, 224, 224], data };
}

test('the shared transport returns exactly what the message transport returns, copied or transferred', async (t) => {
  const shared = new OnnxRuntimeBackend({ transport: 'shared' });
  const message = new OnnxRuntimeBackend({ transport: 'message' });
  t.after(() => Promise.all([shared.close(), message.close()]));
  const [a, b] = await Promise.all([shared.createSession(MOBILENET), message.createSession(MOBILENET)]);
  for (const seed of [1, 2]) {
    const input = imageBatch(1, seed);
    const viaShared = await a.run({ input });
    assert.equal(input.data.length, IMAGE, 'a copied input is left intact');
    const expected = await b.run({ input });
    assert.deepEqual(viaShared, expected);
    assert.deepEqual(viaShared['logits']!.dims, [1, 1000]);
    const moved = imageBatch(1, seed);
    assert.deepEqual(await a.run({ input: moved }, { transfer: true }), expected);
  }
});

test('more runs than ring slots, and batches larger than the initial arena, each get their own result', async (t) => {
  const backend = new OnnxRuntimeBackend({ workers: 1 });
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  const inputs = Array.from({ length: RING_SLOTS * 3 }, (_, i) => imageBatch(1, i + 10));
  const expected: Float32Array[] = [];
  for (const input of inputs) expected.push((await session.run({ input }))['logits']!.data as Float32Array);
  const parallel = await Promise.all(inputs.map((input) => session.run({ input })));
  parallel.forEach((r, i) => assert.deepEqual(r['logits']!.data, expected[i], `run ${i}`));
  assert.notDeepEqual(expected[0], expected[1]);

  // Batch 3 (1.8 MB of input) grows the 1 MiB arena; each row must match its batch-1 run.
  const batch = new Float32Array(3 * IMAGE);
  for (let i = 0; i < 3; i++) batch.set(inputs[i]!.data as Float32Array, i * IMAGE);
  const out = await session.run({ input: { dtype: 'float32', dims: [3, 3, 224, 224], data: batch } });
  assert.deepEqual(out['logits']!.dims, [3, 1000]);
  const rows = out['logits']!.data as Float32Array;
  for (let i = 0; i < 3; i++) {
    let maxDiff = 0;
    for (let j = 0; j < 1000; j++) maxDiff = Math.max(maxDiff, Math.abs(rows[i * 1000 + j]! - expected[i]![j]!));
    assert.ok(maxDiff < 1e-3, `batch row ${i} differs by ${maxDiff}`);
  }
});

test('the channel carries outputs and worker errors through shared memory (both ends in one thread)', async (t) => {
  const session = await ort.InferenceSession.create(MOBILENET);
  t.after(() => session.release());
  const settled = new Map<number, (outcome: ChannelOutcome) => void>();
  const channel = new SharedRunChannel((id, outcome) => settled.get(id)?.(outcome));
  t.after(() => channel.close());
  serveSharedChannel(channel.buffers, {
    run: async (sessionId, feeds) => {
      if (sessionId === 2)
        throw new TachyonError('TCH_ERR_SESSION_RUN_FAILED', 'The runtime failed to run the model: boom.', {
          details: { node: 'Conv_0' },
        });
      return session.run(feeds);
    },
    inputNames: () => session.inputNames,
    replyByMessage: () => assert.fail('outputs this small fit the arena'),
    toErrorBody: (error) => (error as TachyonError).toJSON(),
  });
  const submit = (sessionId: number, id: number, input: TensorData) =>
    new Promise<ChannelOutcome>((resolve) => {
      settled.set(id, resolve);
      assert.equal(channel.trySubmit(sessionId, id, [input], ['logits']), true);
    });
  const input = imageBatch(1, 3);
  const runs = [submit(1, 1, input), submit(2, 2, input)];
  // Both slots are taken until this thread yields to the worker side: the next run must go by message.
  assert.equal(RING_SLOTS, 2);
  assert.equal(channel.trySubmit(1, 3, [input], ['logits']), false);
  const [ok, failed] = await Promise.all(runs);

  const reference = await session.run({
    input: new ort.Tensor('float32', input.data as Float32Array, [1, 3, 224, 224]),
  });
  assert.ok(typeof ok === 'object' && 'outputs' in ok);
  assert.deepEqual(ok.outputs['logits']!.data, reference['logits']!.data);
  assert.ok(typeof failed === 'object' && 'error' in failed);
  const error = TachyonError.fromJSON(failed.error);
  assert.equal(error.code, 'TCH_ERR_SESSION_RUN_FAILED');
  assert.deepEqual(error.details, { node: 'Conv_0' });
});

test('a worker that dies with shared-channel runs in flight fails them with TCH_ERR_WORKER_CRASHED and is replaced', async (t) => {
  // Capture the session worker so that the test can make it die on its own (an unknown message type makes its reply
  // callback throw, which ends the thread), the way the reliability suite does; terminate() is not used.
  const Original = workerThreads.Worker;
  const spawned: workerThreads.Worker[] = [];
  (workerThreads as { Worker: typeof Original }).Worker = class extends Original {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      super(url, options);
      spawned.push(this);
    }
  };
  syncBuiltinESMExports();
  let backend: OnnxRuntimeBackend;
  try {
    backend = new OnnxRuntimeBackend({ workers: 1 });
  } finally {
    (workerThreads as { Worker: typeof Original }).Worker = Original;
    syncBuiltinESMExports();
  }
  t.after(() => backend.close());
  const session = await backend.createSession(MOBILENET);
  const input = imageBatch(1, 5);
  const expected = await session.run({ input });
  assert.equal(spawned.length, 1);

  // The fatal message first, then a run by message (queued behind it on the same port, so the worker dies before it
  // reads it: it must be failed, never left hanging), then a run on the shared channel (the worker may or may not
  // pick that one up before the fatal message; either way it must settle: failed as crashed, or with the right answer).
  spawned[0]!.postMessage({ type: 'test-crash', id: -1 });
  const byMessage = session.run({ input: imageBatch(1, 5) }, { transfer: true });
  const byChannel = session.run({ input });
  const crashed = (e: unknown) => isTachyonError(e, 'TCH_ERR_WORKER_CRASHED');
  await assert.rejects(byMessage, crashed);
  const channelOutcome = await byChannel.then(
    (outputs) => ({ outputs }),
    (error: unknown) => ({ error }),
  );
  if ('error' in channelOutcome) assert.ok(crashed(channelOutcome.error), String(channelOutcome.error));
  else assert.deepEqual(channelOutcome.outputs, expected);
  // The replacement reloads the session before it takes runs.
  assert.deepEqual(await session.run({ input }), expected);
});
