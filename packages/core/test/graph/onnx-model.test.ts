import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError, type TachyonError } from '@tachyon-serve/protocol';
import { decodeOnnxModel, encodeOnnxModel, modelIoNames, onnx, readOnnxModel } from '../../src/graph/index.js';
import { buildModel, chainModel, floatInfo, floatTensor, node } from './graph-fixtures.js';
import { sharedModel } from '@tachyon-serve/test-support';

const invalid = (e: unknown) => isTachyonError(e, 'TCH_ERR_GRAPH_INVALID');

test('decode(encode(model)) keeps the graph; a real model reads from disk with its io names', async () => {
  const model = chainModel();
  const again = decodeOnnxModel(encodeOnnxModel(model));
  assert.deepEqual(
    again.graph!.node!.map((n) => n.opType),
    ['Add', 'Sub', 'Mul', 'Relu'],
  );
  assert.deepEqual(modelIoNames(again), { inputs: ['x'], outputs: ['y', 'z'] });
  const mobilenet = await readOnnxModel(sharedModel('mobilenetv2-int8-qdq.onnx'));
  assert.deepEqual(modelIoNames(mobilenet), { inputs: ['input'], outputs: ['logits'] });
});

test('garbage bytes, empty bytes and a model without a graph are TCH_ERR_GRAPH_INVALID', () => {
  const garbage = new Uint8Array(256).map((_, i) => (i * 37 + 11) % 256);
  assert.throws(() => decodeOnnxModel(garbage), invalid);
  assert.throws(() => decodeOnnxModel(new Uint8Array(0)), invalid);
  assert.throws(() => decodeOnnxModel(new TextEncoder().encode('{"not": "onnx"}')), invalid);
  const noGraph = toBinary(
    onnx.ModelProtoSchema,
    create(onnx.ModelProtoSchema, { irVersion: 7n, opsetImport: [{ domain: '', version: 13n }] }),
  );
  assert.throws(() => decodeOnnxModel(noGraph), invalid);
  assert.throws(() => decodeOnnxModel('bytes' as unknown as Uint8Array), TypeError);
});

test('weights in external data files are refused with TCH_ERR_GRAPH_INVALID', () => {
  const model = buildModel({
    node: [node('Add', ['x', 'w'], ['y'])],
    initializer: [
      {
        ...floatTensor('w', [2], []),
        dataLocation: onnx.TensorProto_DataLocation.EXTERNAL,
        externalData: [{ key: 'location', value: 'w.bin' }],
      },
    ],
    input: [floatInfo('x', [2])],
    output: [floatInfo('y', [2])],
  });
  assert.throws(
    () => decodeOnnxModel(toBinary(onnx.ModelProtoSchema, model)),
    (e: unknown) => invalid(e) && /external data/.test((e as Error).message),
  );
});

test('a file over 2 GiB is refused before reading it (external-data models are not supported)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-graph-big-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'big.onnx');
  const file = await open(path, 'w');
  await file.truncate(2 ** 31); // sparse: no disk space used
  await file.close();
  await assert.rejects(readOnnxModel(path), (e: unknown) => invalid(e) && /2 GiB/.test((e as Error).message));
  await writeFile(join(dir, 'garbage.onnx'), 'not a model at all');
  await assert.rejects(readOnnxModel(join(dir, 'garbage.onnx')), invalid);
  await assert.rejects(readOnnxModel(join(dir, 'missing.onnx')), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'),
  );
});

test('a graph defining a tensor name twice is TCH_ERR_GRAPH_INVALID for every edit', () => {
  const model = buildModel({
    node: [node('Relu', ['x'], ['y']), node('Neg', ['x'], ['y'])],
    input: [floatInfo('x', [2])],
    output: [floatInfo('y', [2])],
  });
  assert.throws(
    () => modelIoNames(model),
    (e: unknown) => invalid(e) && (e as TachyonError).details?.['names']?.toString() === 'y',
  );
});
