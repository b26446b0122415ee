import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ModelScheduler,
  OnnxRuntimeBackend,
  compileSchedulerOptions,
  preprocessImage,
  presetByName,
  type InferenceSession,
} from '../../src/index.js';
import { deferred } from './scheduler-harness.js';
import { sampleImagesDir, sharedModel } from '@tachyon-serve/test-support';

const PER_IMAGE = 3 * 224 * 224;
const CLASSES = 1000;
type F32 = Float32Array<ArrayBuffer>;

async function run(session: InferenceSession, data: F32, n: number): Promise<F32> {
  const out = await session.run({ input: { dtype: 'float32', dims: [n, 3, 224, 224], data } });
  const logits = out['logits']!;
  assert.deepEqual(logits.dims, [n, CLASSES]);
  return logits.data as F32;
}

test('real model: 8 concurrent one-image jobs, batched by the scheduler, each get the row a batch-1 run gives', async (t) => {
  const backend = new OnnxRuntimeBackend({ workers: 1 });
  t.after(() => backend.close());
  const session = await backend.createSession(sharedModel('mobilenetv2-int8-qdq.onnx'));
  const dir = sampleImagesDir();
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.JPEG'))
    .sort()
    .slice(0, 8);
  const preset = presetByName('torchvision224');
  const images = await Promise.all(
    files.map(async (f) => (await preprocessImage(await readFile(join(dir, f)), preset)).data as F32),
  );
  const expected: F32[] = [];
  for (const image of images) expected.push(await run(session, image, 1));

  // execute(): concatenate the prepared [1,3,224,224] tensors, run once, split the [N,1000] output back.
  const execute = async (batch: F32[]): Promise<F32[]> => {
    const input = new Float32Array(batch.length * PER_IMAGE);
    batch.forEach((image, i) => input.set(image, i * PER_IMAGE));
    const logits = await run(session, input, batch.length);
    return batch.map((_, i) => logits.slice(i * CLASSES, (i + 1) * CLASSES));
  };
  const scheduler = new ModelScheduler<F32, F32>(
    'mobilenetv2-int8',
    execute,
    compileSchedulerOptions({ maxBatchSize: 8 }),
  );
  // All eight become ready in one burst: the first runs at once, alone; the other seven wait for it and go together.
  const gate = deferred<void>();
  const jobs = images.map((image) =>
    scheduler.submit({
      rows: 1,
      prepare: async () => {
        await gate.promise;
        return image;
      },
    }),
  );
  gate.resolve();
  const results = await Promise.all(jobs);
  assert.deepEqual(
    results.map((r) => r.batchRequests),
    [1, 7, 7, 7, 7, 7, 7, 7],
  );
  results.forEach((r, i) => {
    const want = expected[i]!;
    assert.equal(r.result.length, CLASSES);
    let worst = 0;
    for (let k = 0; k < CLASSES; k++) worst = Math.max(worst, Math.abs(r.result[k]! - want[k]!));
    assert.ok(worst <= 1e-4, `${files[i]}: max |difference| ${worst}`);
  });
  // The images differ: a mix-up of rows between jobs could not pass the check above.
  assert.notDeepEqual(expected[0], expected[1]);
  await scheduler.drain();
});
