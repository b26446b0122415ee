import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { create } from '@bufbuild/protobuf';
import { encodeOnnxModel, onnx, withFields, type OnnxModel } from '../../src/index.js';
import { foldBatchNorms, inlineConstants, toWorkGraph } from '../../src/quantize/prepare-graph.js';
import { INPUT_DIMS, convNetModel, syntheticInputs } from './generated-models.js';
import { FOLD_MAX_ABS_ERROR } from './tolerances.js';

async function logits(model: OnnxModel, input: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(model), { logSeverityLevel: 3 });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', input, [1, ...INPUT_DIMS]) });
    return out['logits']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

test('BatchNormalization after a Conv folds into its weights and bias: same outputs, no BN node', async () => {
  const model = convNetModel();
  const work = toWorkGraph(model.graph!);
  assert.equal(foldBatchNorms(work), 1);
  assert.ok(!work.nodes.some((n) => n.opType === 'BatchNormalization'));
  const folded = withFields(onnx.ModelProtoSchema, model, {
    graph: withFields(onnx.GraphProtoSchema, model.graph!, {
      node: work.nodes,
      initializer: [...work.initializers.values()],
    }),
  });
  const [input] = syntheticInputs(1, 5);
  const a = await logits(model, input!);
  const b = await logits(folded, input!);
  const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  assert.ok(diff <= FOLD_MAX_ABS_ERROR, `fold error ${diff}`);
  // the source model is not touched
  assert.ok(model.graph!.node!.some((n) => n.opType === 'BatchNormalization'));
});

test('Identity over an initializer (shared weights) is bypassed and Constant nodes become initializers', () => {
  const model = convNetModel();
  const graph = model.graph!;
  const nodes = [
    create(onnx.NodeProtoSchema, { name: 'shared', opType: 'Identity', input: ['w2'], output: ['w2_alias'] }),
    create(onnx.NodeProtoSchema, {
      name: 'k',
      opType: 'Constant',
      output: ['k_out'],
      attribute: [{ name: 'value', type: 4, t: { dataType: 1, dims: [1n], floatData: [1] } }],
    }),
    ...graph.node!.map((n) =>
      n.name === 'c2' ? withFields(onnx.NodeProtoSchema, n, { input: ['p', 'w2_alias', 'b2'] }) : n,
    ),
  ];
  const work = toWorkGraph(withFields(onnx.GraphProtoSchema, graph, { node: nodes }));
  inlineConstants(work);
  assert.ok(!work.nodes.some((n) => n.opType === 'Identity' || n.opType === 'Constant'));
  assert.deepEqual(work.nodes.find((n) => n.name === 'c2')!.input, ['p', 'w2', 'b2']);
  assert.equal(work.initializers.get('k_out')!.name, 'k_out');
});
