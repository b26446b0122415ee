import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import {
  OnnxRuntimeBackend,
  ServicePipeline,
  compileModelSources,
  createModelService,
  resolveModelRef,
} from '../../src/index.js';
import { sampleImagesDir, sharedDir } from '@tachyon-serve/test-support';

// What the scheduler relies on: requests prepared one by one, then run as one batch, get the rows they would get alone.
const MAX_ABS_DIFF = 1e-4; // fp32 model: batch composition changes nothing beyond float noise

/** A zoo model as image -> model -> classifier, on its own backend, closed after the test. */
async function pipelineOf(t: TestContext, id: string): Promise<ServicePipeline> {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-score-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const sources = compileModelSources({
    cacheDir: join(dir, 'cache'),
    modelPath: [join(sharedDir(), 'models')],
    env: {},
  });
  const model = await resolveModelRef(id, sources);
  const { manifest, dir: serviceDir } = await createModelService(
    { modelPath: model.path, entry: model.entry },
    join(dir, 'svc'),
  );
  const pipeline = await ServicePipeline.create(manifest, serviceDir, { backend });
  t.after(() => pipeline.close());
  return pipeline;
}

test('scoreBatch over prepared requests of 1, 2 and 1 images returns each its own rows, equal to running alone', async (t) => {
  const pipeline = await pipelineOf(t, 'mobilenetv2-fp32');
  const read = (name: string) => readFileSync(join(sampleImagesDir(), name));
  const requests = [
    [read('n01440764_tench.JPEG')],
    [read('n02123045_tabby.JPEG'), read('n07747607_orange.JPEG')],
    [read('n03417042_garbage_truck.JPEG')],
  ];
  const alone: Float32Array[] = [];
  for (const images of requests)
    alone.push((await pipeline.scoreBatch([await pipeline.prepare(images)]))[0]!.data as Float32Array);
  const timings = { preprocessMs: 0, computeMs: 0, postprocessMs: 0 };
  const prepared = await Promise.all(requests.map((images) => pipeline.prepare(images, timings)));
  const together = await pipeline.scoreBatch(prepared, timings);
  assert.equal(together.length, 3);
  assert.ok(timings.preprocessMs > 0 && timings.computeMs > 0);
  together.forEach((scores, i) => {
    assert.deepEqual(scores.dims, [requests[i]!.length, 1000]);
    let worst = 0;
    for (let j = 0; j < scores.data.length; j++)
      worst = Math.max(worst, Math.abs((scores.data[j] as number) - alone[i]![j]!));
    assert.ok(worst <= MAX_ABS_DIFF, `request ${i}: max |diff| ${worst}`);
  });
  // Different requests got different answers (the split is not returning one request's rows to all).
  assert.notDeepEqual(
    Array.from((together[0]!.data as Float32Array).subarray(0, 10)),
    Array.from((together[2]!.data as Float32Array).subarray(0, 10)),
  );
});

test('prepare rejects a bad image of its own request only, naming its index', async (t) => {
  const pipeline = await pipelineOf(t, 'mobilenetv2-int8');
  await assert.rejects(
    pipeline.prepare([readFileSync(join(sampleImagesDir(), 'n01440764_tench.JPEG')), Buffer.from('not an image')]),
    (e: unknown) => {
      assert.ok(isTachyonError(e));
      assert.equal(e.details?.['index'], 1);
      return true;
    },
  );
  await assert.rejects(pipeline.prepare([]), RangeError);
});
