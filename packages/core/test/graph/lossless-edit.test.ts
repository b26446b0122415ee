import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { create, equals, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { isTachyonError } from '@tachyon-serve/protocol';
import onnxProto from 'onnx-proto';
import {
  buildNormalizationModel,
  cutModel,
  decodeOnnxModel,
  encodeOnnxModel,
  floatValueInfo,
  fromValueInfo,
  fuseModels,
  onnx,
  readOnnxModel,
  withFields,
} from '../../src/graph/index.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { sharedModel } from '@tachyon-serve/test-support';
import { chainModel } from './graph-fixtures.js';
import { modernModel } from './modern-model.js';

/** Field by field, unknown fields included: the same bytes for the message alone, and equal by the schema. */
function assertIntact<Desc extends DescMessage>(
  schema: Desc,
  actual: MessageShape<Desc> | undefined,
  expected: MessageShape<Desc>,
  what: string,
): void {
  assert.ok(actual, `${what} is missing`);
  assert.ok(equals(schema, actual, expected), `${what} differs field by field`);
  assert.deepEqual(
    Buffer.from(toBinary(schema, actual)),
    Buffer.from(toBinary(schema, expected)),
    `${what} differs in its encoding`,
  );
}

test('an IR 10 model with metadata, a local function, float8/uint4 tensors and unknown fields: load -> save is byte-identical', async (t) => {
  const bytes = toBinary(onnx.ModelProtoSchema, modernModel());
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-lossless-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'modern.onnx'), bytes);
  const model = await readOnnxModel(join(dir, 'modern.onnx'));
  await writeFile(join(dir, 'saved.onnx'), encodeOnnxModel(model));
  assert.ok((await readFile(join(dir, 'saved.onnx'))).equals(Buffer.from(bytes)), 'load -> save changed the bytes');
  // What tachyon reads of it, and what it does not know (kept as unknown fields).
  assert.equal(model.irVersion, 10n);
  assert.deepEqual(
    model.functions[0]!.attributeProto.map((a) => a.name),
    ['alpha'],
  );
  assert.equal(model.graph!.initializer[1]!.dataType, onnx.TensorProto_DataType.FLOAT8E4M3FN);
  assert.deepEqual(
    model.graph!.metadataProps.map((e) => [e.key, e.value]),
    [['graph_tag', 'g1']],
  );
  assert.deepEqual(
    [model, model.graph!, model.graph!.node[1]!, model.graph!.initializer[0]!, model.functions[0]!].map((m) =>
      m.$unknown?.map((u) => u.no),
    ),
    [[1000], [1001], [1002], [1003], [1004]],
  );
});

test('the real models of ../shared/models round-trip byte for byte', async () => {
  for (const file of ['mobilenetv2-fp32.onnx', 'mobilenetv2-int8-qdq.onnx', 'squeezenet1.1-fp32.onnx']) {
    const bytes = await readFile(sharedModel(file));
    assert.ok(Buffer.from(encodeOnnxModel(decodeOnnxModel(bytes))).equals(bytes), file);
  }
});

test('a cut keeps every untouched node, initializer, function, value info and metadata entry intact, field by field', () => {
  const model = decodeOnnxModel(toBinary(onnx.ModelProtoSchema, modernModel()));
  const cut = decodeOnnxModel(encodeOnnxModel(cutModel(model, ['b'])));
  const graph = model.graph!;
  const byName = <T extends { name: string }>(list: readonly T[], name: string) => list.find((x) => x.name === name);
  assert.deepEqual(
    cut.graph!.node.map((n) => n.name),
    ['f8cast', 'mul', 'add', 'fn_call'],
  );
  for (const node of cut.graph!.node)
    assertIntact(onnx.NodeProtoSchema, node, byName(graph.node, node.name)!, `node "${node.name}"`);
  assert.deepEqual(
    cut.graph!.initializer.map((i) => i.name),
    ['w', 'f8'],
    'the unused uint4 initializer is pruned',
  );
  for (const init of cut.graph!.initializer)
    assertIntact(onnx.TensorProtoSchema, init, byName(graph.initializer, init.name)!, `initializer "${init.name}"`);
  assert.equal(cut.functions.length, 1);
  assertIntact(onnx.FunctionProtoSchema, cut.functions[0], model.functions[0]!, 'function AddTwice');
  assert.equal(cut.metadataProps.length, 2);
  cut.metadataProps.forEach((e, i) =>
    assertIntact(onnx.StringStringEntryProtoSchema, e, model.metadataProps[i]!, `model metadata "${e.key}"`),
  );
  assertIntact(
    onnx.StringStringEntryProtoSchema,
    cut.graph!.metadataProps[0],
    graph.metadataProps[0]!,
    'graph metadata',
  );
  assertIntact(onnx.ValueInfoProtoSchema, cut.graph!.input[0], graph.input[0]!, 'graph input x');
  assertIntact(
    onnx.ValueInfoProtoSchema,
    byName(cut.graph!.valueInfo, 'a'),
    byName(graph.valueInfo, 'a')!,
    'value info a',
  );
  assertIntact(
    onnx.ValueInfoProtoSchema,
    cut.graph!.output[0],
    byName(graph.valueInfo, 'b')!,
    'output b, declared from its value info',
  );
  cut.opsetImport.forEach((o, i) =>
    assertIntact(onnx.OperatorSetIdProtoSchema, o, model.opsetImport[i]!, `opset import ${i}`),
  );
  // Model and graph fields around the edited lists, unknown ones included, are the original's.
  const { graph: _g, ...modelRest } = model;
  const { graph: _c, ...cutRest } = cut;
  assert.deepEqual(cutRest, modelRest);
  for (const key of ['name', 'docString', '$unknown'] as const)
    assert.deepEqual(cut.graph![key], graph[key], `graph ${key}`);
});

test('fusion carries nodes, tensors, functions and metadata of the parts with their unknown fields', () => {
  const model = decodeOnnxModel(toBinary(onnx.ModelProtoSchema, modernModel()));
  // Fusion builds a new model and graph, so a part may hold no unknown field at those two levels.
  const part = withFields(onnx.ModelProtoSchema, model, {
    graph: withFields(onnx.GraphProtoSchema, model.graph!, { $unknown: [] }),
    $unknown: [],
  });
  const fused = fuseModels([{ model: part, prefix: 'm', inputs: { x: 'image' }, outputs: { y: 'scores' } }], {
    inputs: ['image'],
    outputs: ['scores'],
  });
  assert.deepEqual(
    fused.graph!.node.map((n) => n.name),
    ['m/f8cast', 'm/mul', 'm/add', 'm/fn_call', 'm/relu'],
  );
  const mul = fused.graph!.node.find((n) => n.name === 'm/mul')!;
  assert.deepEqual(mul.input, ['image', 'm/w']);
  assert.deepEqual(
    mul.$unknown?.map((u) => u.no),
    [1002],
  );
  assert.deepEqual(
    mul.metadataProps.map((e) => [e.key, e.value]),
    [['origin', 'layer1']],
  );
  assert.deepEqual(
    fused.graph!.initializer.find((i) => i.name === 'm/w')!.$unknown?.map((u) => u.no),
    [1003],
  );
  assertIntact(onnx.FunctionProtoSchema, fused.functions[0], model.functions[0]!, 'function AddTwice');
  assert.deepEqual(
    fused.metadataProps.map((e) => [e.key, e.value]),
    [
      ['author', 'tachyon'],
      ['license', 'Apache-2.0'],
    ],
  );
  assert.deepEqual(
    fused.graph!.metadataProps.map((e) => [e.key, e.value]),
    [['graph_tag', 'g1']],
  );
  assert.equal(fused.irVersion, 10n);
});

test('what fusion cannot carry is TCH_ERR_GRAPH_FUSE_UNSUPPORTED, not a silent drop', () => {
  const unsupported = (pattern: RegExp) => (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_GRAPH_FUSE_UNSUPPORTED') && pattern.test((e as Error).message);
  const fuse = (a: onnx.ModelProto, b: onnx.ModelProto) => () =>
    fuseModels(
      [
        { model: a, prefix: 'a', inputs: { x: 'image' }, outputs: { y: 'mid' } },
        { model: b, prefix: 'b', inputs: { x: 'mid' }, outputs: { y: 'scores' } },
      ],
      { inputs: ['image'], outputs: ['scores'] },
    );
  const chain = chainModel();
  const modern = decodeOnnxModel(toBinary(onnx.ModelProtoSchema, modernModel()));
  assert.throws(
    fuse(chain, modern),
    unsupported(/model has fields newer than the vendored onnx\.proto \(numbers 1000\)/),
  );
  const noModelField = withFields(onnx.ModelProtoSchema, modern, { $unknown: [] });
  assert.throws(fuse(chain, noModelField), unsupported(/graph has fields newer/));
  assert.throws(
    fuse(withFields(onnx.ModelProtoSchema, chain, { irVersion: 15n }), chain),
    unsupported(/IR version 15 is above 14/),
  );
  const training = withFields(onnx.ModelProtoSchema, chain, { trainingInfo: [create(onnx.TrainingInfoProtoSchema)] });
  assert.throws(fuse(chain, training), unsupported(/training info/));
  const tagged = (value: string) =>
    withFields(onnx.ModelProtoSchema, chain, {
      metadataProps: [create(onnx.StringStringEntryProtoSchema, { key: 'k', value })],
    });
  assert.throws(fuse(tagged('1'), tagged('2')), unsupported(/metadata key "k" different values/));
});

test('versions the tools do not know are refused with a code: quantizer above IR 14 or opset 28, normalization above opset 28', async () => {
  const calibration = { size: 1, sampleDims: [2], read: async () => new Float32Array(2) };
  const newIr = withFields(onnx.ModelProtoSchema, chainModel(), { irVersion: 15n });
  await assert.rejects(
    quantizeModel(newIr, calibration),
    (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_QUANTIZE_VERSION_UNSUPPORTED') && /IR version 15/.test((e as Error).message),
  );
  await assert.rejects(
    quantizeModel(chainModel(29), calibration),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_QUANTIZE_VERSION_UNSUPPORTED') && /opset 29/.test((e as Error).message),
  );
  const config = {
    channelOrder: 'RGB',
    scale: 1 / 255,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    layout: 'NCHW',
    size: [4, 4],
  } as const;
  assert.throws(
    () => buildNormalizationModel({ ...config, mean: [0, 0, 0], std: [1, 1, 1], size: [4, 4] }, 29),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_VERSION_UNSUPPORTED'),
  );
  const latest = buildNormalizationModel({ ...config, mean: [0, 0, 0], std: [1, 1, 1], size: [4, 4] }, 23);
  assert.equal(latest.irVersion, 11n, 'opset 23 came with IR 11');
});

test('a model built as a plain object in ONNX JSON form (onnx-proto) still encodes, generated messages inside it included', () => {
  const legacy = onnxProto.onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'id',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      initializer: [{ name: 'unused', dataType: 1, dims: [2], rawData: new Uint8Array(8) }],
      input: [floatValueInfo('x', ['N', 2])],
      output: [floatValueInfo('y', ['N', 2])],
    },
  });
  const model = decodeOnnxModel(encodeOnnxModel(legacy));
  assert.equal(model.irVersion, 7n);
  assert.deepEqual(fromValueInfo(model.graph!.input[0]!), { name: 'x', dtype: 'float32', dims: [-1, 2] });
  assert.deepEqual(model.graph!.initializer[0]!.rawData, new Uint8Array(8));
  assert.throws(
    () => encodeOnnxModel({ graph: { node: [{ opType: 5 }] } }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_INVALID'),
  );
});
