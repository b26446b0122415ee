import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnnxRuntimeBackend, onnxModelFromObject, readOnnxModel, type OnnxModel } from '@tachyon-serve/core';
import { countModelMacs, nodeMacs } from '../../src/peers/model-macs.js';
import { sharedModel } from '@tachyon-serve/test-support';

const valueInfo = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType: 1,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});
const weights = (name: string, dims: number[]) => ({
  name,
  dataType: 1,
  dims,
  floatData: new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0.01),
});

/** x[N,3,8,8] -> Conv(4 filters 3x3, pad 1) -> Flatten -> Gemm(256 -> 10): 4*8*8*27 + 10*256 MACs. */
function tinyModel(): OnnxModel {
  return onnxModelFromObject({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny',
      node: [
        {
          opType: 'Conv',
          input: ['x', 'w', 'b'],
          output: ['c'],
          attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }],
        },
        { opType: 'Flatten', input: ['c'], output: ['f'] },
        { opType: 'Gemm', input: ['f', 'g', 'gb'], output: ['y'] },
      ],
      initializer: [weights('w', [4, 3, 3, 3]), weights('b', [4]), weights('g', [256, 10]), weights('gb', [10])],
      input: [valueInfo('x', ['N', 3, 8, 8])],
      output: [valueInfo('y', ['N', 10])],
    },
  });
}

test('nodeMacs: conv counts output x (C/group x kH x kW); gemm and matmul count output x K', () => {
  assert.equal(nodeMacs('Conv', {}, [1, 3, 8, 8], [4, 3, 3, 3], [1, 4, 8, 8]), 4 * 64 * 27);
  assert.equal(nodeMacs('QLinearConv', {}, [-1, 32, 10, 10], [32, 1, 3, 3], [-1, 32, 10, 10]), 32 * 100 * 9); // depthwise, batch -1 = 1
  assert.equal(nodeMacs('Gemm', {}, [1, 256], [256, 10], [1, 10]), 2560);
  assert.equal(nodeMacs('Gemm', { transA: 1 }, [256, 1], [256, 10], [1, 10]), 2560);
  assert.equal(nodeMacs('MatMul', {}, [1, 5, 64], [64, 32], [1, 5, 32]), 5 * 32 * 64);
  assert.throws(() => nodeMacs('Relu', {}, [], [], []), RangeError);
});

test('countModelMacs probes the intermediate shapes of a generated model', async (t) => {
  const backend = new OnnxRuntimeBackend({ workers: 1 });
  t.after(() => backend.close());
  const { macs, nodes } = await countModelMacs(tinyModel(), backend);
  assert.deepEqual(nodes, { Conv: 1, Gemm: 1 });
  assert.equal(macs, 4 * 8 * 8 * 27 + 256 * 10);
});

test('MobileNetV2 counts ~300.8 M MACs in fp32 and the same in its int8 QDQ form', async (t) => {
  const backend = new OnnxRuntimeBackend({ workers: 1 });
  t.after(() => backend.close());
  const fp32 = await countModelMacs(await readOnnxModel(sharedModel('mobilenetv2-fp32.onnx')), backend);
  // torchvision's reference figure for mobilenet_v2: 0.30 GFLOPS (= GMACs in its convention), 300.77 M.
  assert.ok(fp32.macs > 295e6 && fp32.macs < 306e6, `got ${fp32.macs}`);
  assert.equal(fp32.nodes['Conv'], 52);
  const int8 = await countModelMacs(await readOnnxModel(sharedModel('mobilenetv2-int8-qdq.onnx')), backend);
  assert.equal(int8.macs, fp32.macs);
});
