import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { OnnxRuntimeBackend } from '../../src/index.js';
import { fuseModels, onnx, type OnnxModel } from '../../src/graph/index.js';
import { buildModel, chainModel, floatInfo, floatTensor, ifModel, node, runModel } from './graph-fixtures.js';

const unsupported = (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_FUSE_UNSUPPORTED');
const invalid = (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_INVALID');
const notFound = (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_TENSOR_NOT_FOUND');
const names = (list: readonly { name?: string | null }[] | null | undefined) => (list ?? []).map((v) => v.name);

/** p [N, 2] -> q = p * w (w = [10, 100]); the same tensor names as chainModel's on purpose ("c1"). */
function scaleModel(opset = 13, extra: { domain: string; version: number }[] = []): OnnxModel {
  const m = buildModel(
    {
      node: [node('Mul', ['p', 'c1'], ['q'])],
      initializer: [floatTensor('c1', [2], [10, 100])],
      input: [floatInfo('p', ['N', 2])],
      output: [floatInfo('q', ['N', 2])],
      valueInfo: [],
      quantizationAnnotation: [{ tensorName: 'q', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 'c1' }] }],
    },
    opset,
  );
  m.opsetImport!.push(
    ...extra.map((o) => create(onnx.OperatorSetIdProtoSchema, { domain: o.domain, version: BigInt(o.version) })),
  );
  return m;
}

const x = { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) } as const;

test('fusing two parts: names prefixed, seam named after the pipeline tensor, unused outputs pruned', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const fused = fuseModels(
    [
      { model: chainModel(), prefix: 'a', inputs: { x: 'image' }, outputs: { y: 'mid' } },
      { model: scaleModel(), prefix: 'b', inputs: { p: 'mid' }, outputs: { q: 'scores' } },
    ],
    { inputs: ['image'], outputs: ['scores'] },
  );
  const g = fused.graph!;
  assert.deepEqual(
    g.node!.map((n) => `${n.name}:${n.input!.join(',')}->${n.output!.join(',')}`),
    ['a/Add_a:image,a/c1->a/a', 'a/Mul_b:a/a,a/c2->a/b', 'a/Relu_y:a/b->mid', 'b/Mul_q:mid,b/c1->scores'],
  );
  assert.deepEqual(names(g.initializer), ['a/c1', 'a/c2', 'b/c1']);
  assert.deepEqual(names(g.input), ['image']);
  assert.deepEqual(names(g.output), ['scores']);
  assert.deepEqual(names(g.valueInfo), ['a/a', 'a/b', 'mid']);
  assert.deepEqual(
    g.quantizationAnnotation!.map((a) => [a.tensorName, a.quantParameterTensorNames![0]!.value]),
    [['scores', 'b/c1']],
  );
  assert.deepEqual(
    fused.opsetImport!.map((o) => [o.domain, Number(o.version)]),
    [['', 13]],
  );
  const out = await runModel(t, backend, fused, { image: x });
  // y = relu((x + [1, -1]) * [2, 3]) = [4, 3]; q = y * [10, 100]
  assert.deepEqual([...(out['scores']!.data as Float32Array)], [40, 300]);
});

test('a fused graph can return several pipeline tensors, and pass an input straight through', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const passThrough = buildModel({
    node: [node('Relu', ['v'], ['r'])],
    input: [floatInfo('v', ['N', 2])],
    output: [floatInfo('r', ['N', 2]), floatInfo('v', ['N', 2])],
  });
  const fused = fuseModels(
    [
      { model: chainModel(), prefix: 'a', inputs: { x: 'image' }, outputs: { y: 'y', z: 'z' } },
      { model: passThrough, prefix: 'p', inputs: { v: 'z' }, outputs: { r: 'relu', v: 'copy' } },
    ],
    { inputs: ['image'], outputs: ['y', 'relu', 'copy'] },
  );
  const out = await runModel(t, backend, fused, { image: x });
  assert.deepEqual([...(out['y']!.data as Float32Array)], [4, 3]);
  assert.deepEqual([...(out['relu']!.data as Float32Array)], [0, 3]);
  assert.deepEqual([...(out['copy']!.data as Float32Array)], [0, 3]);
});

test('subgraph bodies are renamed with their part, so outer-scope reads still resolve', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const fused = fuseModels(
    [
      { model: scaleModel(), prefix: 's', inputs: { p: 'v' }, outputs: { q: 'scaled' } },
      { model: ifModel(['N', 2]), prefix: 'branch', inputs: { x: 'scaled', flag: 'flag' }, outputs: { y: 'out' } },
    ],
    { inputs: ['v', 'flag'], outputs: ['out'] },
  );
  const ifNode = fused.graph!.node!.find((n) => n.opType === 'If')!;
  assert.deepEqual(ifNode.attribute![0]!.g!.node![0]!.input, ['branch/t']);
  const out = await runModel(t, backend, fused, {
    v: { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, -1]) },
    flag: { dtype: 'bool', dims: [], data: new Uint8Array([0]) },
  });
  assert.deepEqual([...(out['out']!.data as Float32Array)], [-20, 300]);
});

test('parts importing different opset versions are TCH_ERR_GRAPH_FUSE_UNSUPPORTED', () => {
  const wire = (a: OnnxModel, b: OnnxModel) => () =>
    fuseModels(
      [
        { model: a, prefix: 'a', inputs: { x: 'image' }, outputs: { y: 'mid' } },
        { model: b, prefix: 'b', inputs: { p: 'mid' }, outputs: { q: 'scores' } },
      ],
      { inputs: ['image'], outputs: ['scores'] },
    );
  assert.throws(
    wire(chainModel(13), scaleModel(12)),
    (e: unknown) => unsupported(e) && /version 13 .* version 12/.test((e as Error).message),
  );
  const ms = (v: number) => [{ domain: 'com.microsoft', version: v }];
  const withMs = wire(chainModel(13), scaleModel(13, ms(1)))();
  assert.deepEqual(
    withMs.opsetImport!.map((o) => [o.domain, Number(o.version)]),
    [
      ['', 13],
      ['com.microsoft', 1],
    ],
  );
  const a = chainModel(13);
  a.opsetImport!.push(
    ...ms(2).map((o) => create(onnx.OperatorSetIdProtoSchema, { domain: o.domain, version: BigInt(o.version) })),
  );
  assert.throws(wire(a, scaleModel(13, ms(1))), unsupported);
  const aiOnnx = scaleModel(13);
  aiOnnx.opsetImport![0]!.domain = 'ai.onnx';
  assert.equal(wire(chainModel(13), aiOnnx)().opsetImport!.length, 1, "'ai.onnx' is the default domain");
});

test('wiring errors: unknown port, unconnected input, read before write, written twice, nothing writes an output, name collision', () => {
  const part = (model: OnnxModel, prefix: string, inputs: Record<string, string>, outputs: Record<string, string>) => ({
    model,
    prefix,
    inputs,
    outputs,
  });
  const graph = { inputs: ['image'], outputs: ['scores'] };
  assert.throws(() => fuseModels([part(chainModel(), 'a', { nope: 'image' }, { y: 'scores' })], graph), notFound);
  assert.throws(() => fuseModels([part(chainModel(), 'a', { x: 'image' }, { nope: 'scores' })], graph), notFound);
  assert.throws(() => fuseModels([part(chainModel(), 'a', {}, { y: 'scores' })], graph), invalid);
  assert.throws(
    () =>
      fuseModels(
        [part(scaleModel(), 'b', { p: 'mid' }, { q: 'scores' }), part(chainModel(), 'a', { x: 'image' }, { y: 'mid' })],
        graph,
      ),
    (e: unknown) => invalid(e) && /before anything writes it/.test((e as Error).message),
  );
  assert.throws(
    () => fuseModels([part(chainModel(), 'a', { x: 'image' }, { y: 'scores', z: 'scores' })], graph),
    invalid,
  );
  assert.throws(() => fuseModels([part(chainModel(), 'a', { x: 'image' }, { y: 'image' })], graph), invalid);
  assert.throws(() => fuseModels([part(chainModel(), 'a', { x: 'image' }, { y: 'other' })], graph), invalid);
  assert.throws(
    () =>
      fuseModels([part(chainModel(), 'a', { x: 'image' }, { y: 'scores' })], {
        inputs: ['image', 'unused'],
        outputs: ['scores'],
      }),
    invalid,
  );
  // "a/c1" is both part a's prefixed initializer and a pipeline tensor name.
  assert.throws(
    () =>
      fuseModels(
        [
          part(chainModel(), 'a', { x: 'image' }, { y: 'a/c1' }),
          part(scaleModel(), 'b', { p: 'a/c1' }, { q: 'scores' }),
        ],
        graph,
      ),
    invalid,
  );
  assert.throws(
    () =>
      fuseModels(
        [part(chainModel(), 'a', { x: 'image' }, { y: 'm' }), part(scaleModel(), 'a', { p: 'm' }, { q: 'scores' })],
        graph,
      ),
    RangeError,
  );
  assert.throws(() => fuseModels([], graph), RangeError);
  assert.throws(() => fuseModels([part(chainModel(), '', { x: 'image' }, { y: 'scores' })], graph), TypeError);
});
