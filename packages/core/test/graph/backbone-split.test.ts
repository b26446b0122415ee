import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnnxRuntimeBackend, zooEntry } from '../../src/index.js';
import {
  cutModel,
  declaredModelIo,
  extractSubgraph,
  fuseModels,
  probeTensorInfo,
  readOnnxModel,
  type OnnxModel,
  type TensorInfo,
} from '../../src/graph/index.js';
import { maxAbsDiff, runModel, sampleBatch, topIndexes } from './graph-fixtures.js';
import { sharedModel } from '@tachyon-serve/test-support';

// Golden data: the feature tensor each zoo entry names, what onnxruntime infers for it, and how close featurizer +
// head must come to the whole model. The int8 model's logits come out of a DequantizeLinear with scale 0.153099
// (../shared/models/README.md): split or fused, the head may round one logit to the neighbouring step.
const CASES = [
  { id: 'mobilenetv2-fp32', feature: { name: 'flatten_301', dtype: 'float32', dims: [-1, 1280] }, tolerance: 1e-4 },
  {
    id: 'squeezenet1.1-fp32',
    feature: { name: 'fire9/concat_drop9', dtype: 'float32', dims: [-1, 512, 14, 14] },
    tolerance: 1e-4,
  },
  {
    id: 'mobilenetv2-int8',
    feature: { name: 'dq_1074', dtype: 'float32', dims: [-1, 1280] },
    tolerance: 0.153099 + 1e-6,
  },
] as const satisfies readonly { id: string; feature: TensorInfo; tolerance: number }[];

interface Split {
  model: OnnxModel;
  featurizer: OnnxModel;
  head: OnnxModel;
  feature: TensorInfo;
}

async function split(id: string, backend: OnnxRuntimeBackend): Promise<Split> {
  const entry = zooEntry(id);
  const model = await readOnnxModel(sharedModel(entry.fileName));
  const [feature] = await probeTensorInfo(model, [entry.featureTensor!], backend);
  // The probed info declares the featurizer's output, so the file is complete (onnx.checker wants output types).
  return {
    model,
    featurizer: cutModel(model, [feature!.name], [feature!]),
    head: extractSubgraph(model, [feature!], [entry.output]),
    feature: feature!,
  };
}

for (const c of CASES) {
  test(`${c.id}: featurizer (cut at "${c.feature.name}") then head equals the whole model on real images`, async (t) => {
    const backend = new OnnxRuntimeBackend();
    t.after(() => backend.close());
    const entry = zooEntry(c.id);
    assert.equal(entry.featureTensor, c.feature.name);
    const { model, featurizer, head, feature } = await split(c.id, backend);
    assert.deepEqual(feature, c.feature);
    // The featurizer has no classifier left, the head no backbone.
    assert.deepEqual(declaredModelIo(featurizer).outputs, [c.feature]);
    assert.deepEqual(declaredModelIo(head).inputs, [c.feature]);
    assert.ok(featurizer.graph!.node!.length + head.graph!.node!.length <= model.graph!.node!.length);
    assert.ok(head.graph!.node!.length < 12, `head has ${head.graph!.node!.length} nodes`);

    const batch = await sampleBatch(entry.preset);
    const full = (await runModel(t, backend, model, { [entry.input]: batch }))[entry.output]!;
    const features = (await runModel(t, backend, featurizer, { [entry.input]: batch }))[c.feature.name]!;
    assert.equal(features.dtype, 'float32');
    assert.deepEqual(features.dims, [batch.dims[0], ...c.feature.dims.slice(1)]);
    const scores = (await runModel(t, backend, head, { [c.feature.name]: features }))[entry.output]!;
    const diff = maxAbsDiff(full, scores);
    t.diagnostic(`${c.id}: split max |diff| = ${diff}`);
    assert.ok(diff <= c.tolerance, `max |diff| ${diff} > ${c.tolerance}`);
    for (let row = 0; row < batch.dims[0]!; row++)
      assert.deepEqual(topIndexes(scores, row, 5), topIndexes(full, row, 5), `top-5 of image ${row}`);
  });

  test(`${c.id}: featurizer and head fused into one graph reproduce the whole model in one session call`, async (t) => {
    const backend = new OnnxRuntimeBackend();
    t.after(() => backend.close());
    const entry = zooEntry(c.id);
    const { model, featurizer, head } = await split(c.id, backend);
    const fused = fuseModels(
      [
        {
          model: featurizer,
          prefix: 'featurizer',
          inputs: { [entry.input]: 'image' },
          outputs: { [c.feature.name]: 'features' },
        },
        {
          model: head,
          prefix: 'head',
          inputs: { [c.feature.name]: 'features' },
          outputs: { [entry.output]: 'scores' },
        },
      ],
      { inputs: ['image'], outputs: ['scores'], name: `${c.id}-fused` },
    );
    assert.deepEqual(
      fused.graph!.input!.map((i) => i.name),
      ['image'],
    );
    assert.deepEqual(
      fused.graph!.output!.map((o) => o.name),
      ['scores'],
    );
    assert.equal(fused.graph!.node!.length, featurizer.graph!.node!.length + head.graph!.node!.length);
    assert.ok(fused.graph!.node!.every((n) => n.name!.startsWith('featurizer/') || n.name!.startsWith('head/')));

    const batch = await sampleBatch(entry.preset);
    const full = (await runModel(t, backend, model, { [entry.input]: batch }))[entry.output]!;
    const scores = (await runModel(t, backend, fused, { image: batch }))['scores']!;
    const diff = maxAbsDiff(full, scores);
    t.diagnostic(`${c.id}: fused max |diff| = ${diff}`);
    assert.ok(diff <= c.tolerance, `max |diff| ${diff} > ${c.tolerance}`);
    for (let row = 0; row < batch.dims[0]!; row++)
      assert.deepEqual(topIndexes(scores, row, 5), topIndexes(full, row, 5), `top-5 of image ${row}`);
  });
}
