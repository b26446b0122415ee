import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTachyonError, type TachyonError } from '@tachyon-serve/protocol';
import { OnnxRuntimeBackend } from '../../src/index.js';
import {
  cutModel,
  extractSubgraph,
  onnxModelFromObject,
  probeTensorInfo,
  type OnnxValueInfo,
} from '../../src/graph/index.js';
import { buildModel, chainModel, floatInfo, ifModel, node, runModel } from './graph-fixtures.js';

const x = { dtype: 'float32', dims: [2, 2], data: new Float32Array([1, 2, -3, 4]) } as const;
const notFound = (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_TENSOR_NOT_FOUND');
const invalid = (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_INVALID');
const names = (list: readonly { name?: string | null }[] | null | undefined) => (list ?? []).map((v) => v.name);
const tensorType = (vi: OnnxValueInfo) => (vi.type?.value.case === 'tensorType' ? vi.type.value.value : undefined);

test('cutModel keeps only what the outputs need: nodes, initializers, inputs, value_info', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const cut = cutModel(chainModel(), ['b']);
  assert.deepEqual(
    cut.graph!.node!.map((n) => n.opType),
    ['Add', 'Mul'],
  );
  assert.deepEqual(names(cut.graph!.initializer), ['c1', 'c2']);
  assert.deepEqual(names(cut.graph!.input), ['x']);
  assert.deepEqual(names(cut.graph!.output), ['b']);
  assert.equal(tensorType(cut.graph!.output![0]!)!.elemType, 1, 'declared from value_info');
  assert.deepEqual(names(cut.graph!.valueInfo), ['a']);
  const out = await runModel(t, backend, cut, { x });
  assert.deepEqual([...(out['b']!.data as Float32Array)], [4, 3, -4, 9]);
});

test('cutModel at an output of several drops the other branch; outputInfo declares a tensor', () => {
  const cut = cutModel(chainModel(), ['z'], [{ name: 'z', dtype: 'float32', dims: [-1, 2] }]);
  assert.deepEqual(
    cut.graph!.node!.map((n) => n.opType),
    ['Sub'],
  );
  assert.deepEqual(names(cut.graph!.initializer), ['c1']);
  assert.throws(() => cutModel(chainModel(), ['z'], [{ name: 'y', dtype: 'float32', dims: [2] }]), RangeError);
});

test('initializers listed as graph inputs (older exporters) are pruned with their input entries', () => {
  const legacy = (ir: number) => {
    const m = chainModel();
    m.irVersion = BigInt(ir);
    const inputs = [floatInfo('x', ['N', 2]), floatInfo('c1', [2]), floatInfo('c2', [2]), floatInfo('unused', [1])];
    m.graph!.input = onnxModelFromObject({ graph: { input: inputs } }).graph!.input;
    return m;
  };
  // IR >= 4: initializers need not be inputs, so the stale entries go.
  assert.deepEqual(names(cutModel(legacy(7), ['y']).graph!.input), ['x']);
  // IR 3 requires every initializer to be an input: the used ones stay listed, the pruned one goes.
  assert.deepEqual(names(cutModel(legacy(3), ['y']).graph!.input), ['x', 'c1', 'c2']);
  const head = extractSubgraph(legacy(3), [{ name: 'a', dtype: 'float32', dims: [-1, 2] }], ['y']);
  assert.deepEqual(names(head.graph!.input), ['a', 'c2']);
});

test('extractSubgraph: the given tensors become typed inputs, the rest of the graph goes', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const head = extractSubgraph(chainModel(), [{ name: 'a', dtype: 'float32', dims: [-1, 2] }], ['y']);
  assert.deepEqual(
    head.graph!.node!.map((n) => n.opType),
    ['Mul', 'Relu'],
  );
  assert.deepEqual(names(head.graph!.initializer), ['c2']);
  assert.deepEqual(names(head.graph!.input), ['a']);
  assert.deepEqual(names(head.graph!.valueInfo), ['b']);
  const dims = tensorType(head.graph!.input![0]!)!.shape!.dim;
  assert.equal(dims[0]!.value.case, undefined, '-1 is a dynamic dimension');
  assert.equal(Number(dims[1]!.value.value), 2);
  const out = await runModel(t, backend, head, {
    a: { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, -1]) },
  });
  assert.deepEqual([...(out['y']!.data as Float32Array)], [2, 0]);
});

test('extractSubgraph whose outputs need a graph input not among inputs is TCH_ERR_GRAPH_INVALID', () => {
  const model = chainModel();
  assert.throws(
    () => extractSubgraph(model, [{ name: 'a', dtype: 'float32', dims: [-1, 2] }], ['y', 'z']),
    (e: unknown) => invalid(e) && (e as TachyonError).details?.['missing']?.toString() === 'x',
  );
  // A node still needed that also computes an input: the inputs do not cut the graph in two.
  const split = buildModel({
    node: [node('Split', ['x'], ['p', 'q'], [{ name: 'axis', type: 2, i: 1 }]), node('Add', ['p', 'q'], ['y'])],
    input: [floatInfo('x', [1, 2])],
    output: [floatInfo('y', [1, 1])],
  });
  assert.throws(
    () =>
      extractSubgraph(
        split,
        [
          { name: 'p', dtype: 'float32', dims: [1, 1] },
          { name: 'x', dtype: 'float32', dims: [1, 2] },
        ],
        ['y'],
      ),
    invalid,
  );
});

test('unknown tensors are TCH_ERR_GRAPH_TENSOR_NOT_FOUND; bad arguments are TypeError/RangeError', async (t) => {
  const model = chainModel();
  assert.throws(() => cutModel(model, ['nope']), notFound);
  assert.throws(() => extractSubgraph(model, [{ name: 'nope', dtype: 'float32', dims: [2] }], ['y']), notFound);
  assert.throws(() => extractSubgraph(model, [{ name: 'a', dtype: 'float32', dims: [2] }], ['nope']), notFound);
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  await assert.rejects(probeTensorInfo(model, ['nope'], backend), notFound);
  assert.throws(() => cutModel(model, []), RangeError);
  assert.throws(() => cutModel(model, 'y' as unknown as string[]), TypeError);
  assert.throws(() => cutModel(model, ['y', 'y']), RangeError);
  assert.throws(
    () => extractSubgraph(model, [{ name: 'a', dtype: 'float' as 'float32', dims: [2] }], ['y']),
    /inputs\[0\]\.dtype/,
  );
  assert.throws(() => extractSubgraph(model, [{ name: 'a', dtype: 'float32', dims: [-2] }], ['y']), RangeError);
});

test('probeTensorInfo reports dtype and dims of intermediate tensors, inputs and initializers', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const infos = await probeTensorInfo(chainModel(), ['a', 'x', 'c2'], backend);
  assert.deepEqual(infos, [
    { name: 'a', dtype: 'float32', dims: [-1, 2] },
    { name: 'x', dtype: 'float32', dims: [-1, 2] },
    { name: 'c2', dtype: 'float32', dims: [2] },
  ]);
});

test('If/Loop nodes are kept whole and their subgraphs outer-scope reads count as dependencies', async (t) => {
  const backend = new OnnxRuntimeBackend();
  t.after(() => backend.close());
  const cut = cutModel(ifModel(), ['y']);
  assert.deepEqual(
    cut.graph!.node!.map((n) => n.opType),
    ['Mul', 'If'],
  );
  assert.deepEqual(names(cut.graph!.initializer), ['k']);
  const feeds = (flag: boolean) =>
    ({
      x: { dtype: 'float32', dims: [2], data: new Float32Array([1, -1]) },
      flag: { dtype: 'bool', dims: [], data: new Uint8Array([flag ? 1 : 0]) },
    }) as const;
  assert.deepEqual([...((await runModel(t, backend, cut, feeds(true)))['y']!.data as Float32Array)], [2, -3]);
  assert.deepEqual([...((await runModel(t, backend, cut, feeds(false)))['y']!.data as Float32Array)], [-2, 3]);
  const tail = extractSubgraph(
    ifModel(),
    [
      { name: 't', dtype: 'float32', dims: [2] },
      { name: 'flag', dtype: 'bool', dims: [] },
    ],
    ['y'],
  );
  assert.deepEqual(
    tail.graph!.node!.map((n) => n.opType),
    ['If'],
  );
  assert.throws(() => extractSubgraph(ifModel(), [{ name: 'flag', dtype: 'bool', dims: [] }], ['y']), invalid);
});
