import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { create } from '@bufbuild/protobuf';
import ort from 'onnxruntime-node';
import { TachyonError } from '@tachyon-serve/protocol';
import {
  compileQuantize,
  encodeOnnxModel,
  inspectFusion,
  onnx,
  quantizeModel,
  readOnnxModel,
  type OnnxModel,
} from '../../src/index.js';
import { CLASSES, INPUT_DIMS, arrayCalibrationSet, convNetModel, syntheticInputs } from './generated-models.js';
import { QUANTIZE_TOLERANCES } from './tolerances.js';
import { sharedModel } from '@tachyon-serve/test-support';

const PER = INPUT_DIMS.reduce((a, b) => a * b, 1);
const calibration = arrayCalibrationSet(syntheticInputs(32, 1));
const evalInputs = syntheticInputs(64, 2);

async function run(t: TestContext, model: OnnxModel, inputs: readonly Float32Array[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(model), { logSeverityLevel: 3 });
  t.after(() => session.release());
  const data = new Float32Array(PER * inputs.length);
  inputs.forEach((x, i) => data.set(x, i * PER));
  const out = await session.run({ x: new ort.Tensor('float32', data, [inputs.length, ...INPUT_DIMS]) });
  return out['logits']!.data as Float32Array;
}

function compare(a: Float32Array, b: Float32Array): { relError: number; agreement: number } {
  let max = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
    lo = Math.min(lo, a[i]!);
    hi = Math.max(hi, a[i]!);
  }
  const argmax = (x: Float32Array, row: number) => {
    let k = 0;
    for (let j = 1; j < CLASSES; j++) if (x[row * CLASSES + j]! > x[row * CLASSES + k]!) k = j;
    return k;
  };
  const rows = a.length / CLASSES;
  let agree = 0;
  for (let r = 0; r < rows; r++) if (argmax(a, r) === argmax(b, r)) agree++;
  return { relError: max / (hi - lo), agreement: agree / rows };
}

for (const method of ['minmax', 'percentile', 'entropy'] as const) {
  for (const perChannel of [true, false]) {
    test(`${method}, ${perChannel ? 'per-channel' : 'per-tensor'} weights: int8 output within the tolerances of fp32, fully fused`, async (t) => {
      const fp32 = convNetModel();
      const { model, report } = await quantizeModel(fp32, calibration, { method, perChannel });
      const tol = QUANTIZE_TOLERANCES[method];
      const { relError, agreement } = compare(await run(t, fp32, evalInputs), await run(t, model, evalInputs));
      t.diagnostic(`relative error ${relError.toFixed(4)}, top-1 agreement ${agreement}`);
      assert.ok(relError <= tol.maxRelError, `relative error ${relError} > ${tol.maxRelError}`);
      assert.ok(agreement >= tol.minTop1Agreement, `agreement ${agreement} < ${tol.minTop1Agreement}`);
      assert.ok(relError > 0, 'the int8 model must differ from fp32 (it really is quantized)');
      assert.equal(report.foldedBatchNorms, 1);
      assert.equal(report.fusedActivations, 2);
      assert.deepEqual(report.quantizedOps, { Conv: 2, Add: 1, Concat: 1, GlobalAveragePool: 1, Gemm: 1 });
      assert.deepEqual(report.warnings, []);
      const ops = (model.graph!.node ?? []).map((n) => n.opType);
      assert.ok(!ops.includes('BatchNormalization') && !ops.includes('Relu'));
      const fusion = await inspectFusion(model);
      assert.deepEqual(
        {
          conv: fusion.ops['QLinearConv'],
          add: fusion.ops['QLinearAdd'],
          concat: fusion.ops['QLinearConcat'],
          gap: fusion.ops['QLinearGlobalAveragePool'],
          gemm: fusion.ops['QGemm'],
        },
        { conv: 2, add: 1, concat: 1, gap: 1, gemm: 1 },
      );
      assert.equal(fusion.floatComputeOps, 0);
      // Only the input is quantized in float; the logits leave QGemm as float.
      assert.equal(fusion.quantizeOps, 1);
    });
  }
}

test('weights are int8 per output channel with zero point 0, biases int32', async () => {
  const { model } = await quantizeModel(convNetModel(), calibration);
  const init = new Map((model.graph!.initializer ?? []).map((i) => [i.name, i]));
  const convs = (model.graph!.node ?? []).filter((n) => n.opType === 'Conv');
  for (const conv of convs) {
    const dq = model.graph!.node!.find((n) => n.output?.[0] === conv.input![1])!;
    assert.equal(dq.opType, 'DequantizeLinear');
    assert.equal(init.get(dq.input[0]!)!.dataType, 3);
    assert.deepEqual(init.get(dq.input[1]!)!.dims!.map(Number), [8]);
    assert.ok(init.get(dq.input[2]!)!.rawData!.every((b) => b === 0));
    const bias = model.graph!.node!.find((n) => n.output?.[0] === conv.input![2])!;
    assert.equal(init.get(bias.input[0]!)!.dataType, 6);
  }
  assert.equal(convs.length, 2);
});

test('quantizing an int8 model is refused: our own output and the QDQ MobileNetV2 of ../shared/models', async () => {
  const { model } = await quantizeModel(convNetModel(), calibration);
  await assert.rejects(quantizeModel(model, calibration), (e: unknown) => {
    assert.ok(e instanceof TachyonError);
    assert.equal(e.code, 'TCH_ERR_QUANTIZE_ALREADY_QUANTIZED');
    assert.match(e.message, /already quantized/);
    return true;
  });
  const reference = await readOnnxModel(sharedModel('mobilenetv2-int8-qdq.onnx'));
  await assert.rejects(quantizeModel(reference, calibration), { code: 'TCH_ERR_QUANTIZE_ALREADY_QUANTIZED' });
});

test('unsupported ops stay fp32 and a warning lists them; the rest is still quantized', async (t) => {
  const fp32 = convNetModel({ unsupportedOp: true });
  const { model, report } = await quantizeModel(fp32, calibration);
  assert.deepEqual(report.fp32Ops, { Sigmoid: 1, Mul: 1 });
  assert.equal(report.warnings.length, 1);
  assert.match(report.warnings[0]!, /Sigmoid x1, Mul x1/);
  const ops = (model.graph!.node ?? []).map((n) => n.opType);
  assert.ok(ops.includes('Sigmoid') && ops.includes('Mul'));
  const { relError } = compare(await run(t, fp32, evalInputs), await run(t, model, evalInputs));
  assert.ok(relError <= QUANTIZE_TOLERANCES.minmax.maxRelError, `relative error ${relError}`);
  const fusion = await inspectFusion(model);
  assert.equal(fusion.ops['QLinearConv'], 2);
  assert.equal(fusion.ops['Sigmoid'], 1);
});

test('errors: an empty calibration set, an old opset, a model without float input', async () => {
  await assert.rejects(quantizeModel(convNetModel(), arrayCalibrationSet([])), {
    code: 'TCH_ERR_QUANTIZE_CALIBRATION_EMPTY',
  });
  const old = convNetModel();
  old.opsetImport = [create(onnx.OperatorSetIdProtoSchema, { domain: '', version: 11n })];
  await assert.rejects(quantizeModel(old, calibration), { code: 'TCH_ERR_QUANTIZE_UNSUPPORTED' });
  const intInput = convNetModel();
  intInput.graph!.input[0]!.type = create(onnx.TypeProtoSchema, {
    value: { case: 'tensorType', value: { elemType: 7 } },
  });
  await assert.rejects(quantizeModel(intInput, calibration), { code: 'TCH_ERR_QUANTIZE_UNSUPPORTED' });
});

test('the quantized model keeps the original model fields and local functions, and is IR 7 or later', async (t) => {
  const model = convNetModel();
  model.irVersion = 6n;
  model.producerVersion = '9.9';
  model.metadataProps = [create(onnx.StringStringEntryProtoSchema, { key: 'source', value: 'generated' })];
  model.functions = [
    create(onnx.FunctionProtoSchema, {
      name: 'Twice',
      domain: 'local.test',
      input: ['a'],
      output: ['b'],
      node: [{ opType: 'Add', input: ['a', 'a'], output: ['b'] }],
      opsetImport: [{ domain: '', version: 13n }],
    }),
  ];
  const { model: out } = await quantizeModel(model, calibration);
  assert.equal(Number(out.irVersion), 7);
  assert.equal(out.producerName, 'tachyon-quantize');
  assert.equal(out.producerVersion, '9.9');
  assert.deepEqual(
    out.metadataProps.map((p) => [p.key, p.value]),
    [['source', 'generated']],
  );
  assert.deepEqual(
    out.functions.map((f) => `${f.domain}.${f.name}`),
    ['local.test.Twice'],
  );
  // onnxruntime loads it (a local function needs IR 8: the original's is kept when it is higher than 7).
  model.irVersion = 8n;
  const { model: loadable } = await quantizeModel(model, calibration);
  assert.equal(Number(loadable.irVersion), 8);
  assert.ok(compare(await run(t, convNetModel(), evalInputs), await run(t, loadable, evalInputs)).agreement > 0.9);
});

test('progress is reported once per calibration batch', async () => {
  const calls: [number, number][] = [];
  await quantizeModel(convNetModel(), calibration, {
    batchSize: 10,
    onProgress: (done, total) => calls.push([done, total]),
  });
  assert.deepEqual(calls, [
    [10, 32],
    [20, 32],
    [30, 32],
    [32, 32],
  ]);
});

test('compileQuantize: defaults, frozen; misuse is a TypeError/RangeError naming the option', () => {
  const config = compileQuantize();
  assert.deepEqual(
    { ...config },
    {
      method: 'minmax',
      percentile: 99.999,
      perChannel: true,
      activationType: 'uint8',
      batchSize: 8,
      foldBatchNorm: true,
      onProgress: undefined,
    },
  );
  assert.ok(Object.isFrozen(config));
  assert.throws(() => compileQuantize({ method: 'kl' as 'entropy' }), {
    name: 'TypeError',
    message: /options\.method/,
  });
  assert.throws(() => compileQuantize({ percentile: 20 }), { name: 'RangeError', message: /options\.percentile/ });
  assert.throws(() => compileQuantize({ batchSize: 0 }), { name: 'RangeError', message: /options\.batchSize/ });
  assert.throws(() => compileQuantize({ activationType: 'int4' as 'int8' }), {
    name: 'TypeError',
    message: /options\.activationType/,
  });
});
