// Small generated models for the engine's and the protocols' tests: an identity tensor model, a softmax classifier made
// from MobileNetV2 (to catch double softmax), and an image model whose input size tells no preset.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { encodeOnnxModel, floatValueInfo, fuseModels, onnxModelFromObject, readOnnxModel } from '@tachyon-serve/core';
import { sharedModel } from './shared-data.js';

/** FP32 [N, 4] -> Identity -> FP32 [N, 4], written as `<dir>/identity.onnx`. */
export async function writeIdentityModel(dir: string): Promise<string> {
  const model = onnxProto.onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-test',
    graph: {
      name: 'identity',
      node: [{ name: 'id', opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [floatValueInfo('x', ['N', 4])],
      output: [floatValueInfo('y', ['N', 4])],
    },
  });
  const path = join(dir, 'identity.onnx');
  await writeFile(path, encodeOnnxModel(model));
  return path;
}

/** MobileNetV2 fp32 with a Softmax after its logits: a 224 px classifier whose graph outputs probabilities. */
export async function writeSoftmaxClassifier(
  dir: string,
  mobilenetFp32: string = sharedModel('mobilenetv2-fp32.onnx'),
): Promise<string> {
  const softmax = onnxProto.onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'softmax',
      node: [
        {
          name: 'sm',
          opType: 'Softmax',
          input: ['z'],
          output: ['p'],
          attribute: [{ name: 'axis', type: onnxProto.onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
      ],
      input: [floatValueInfo('z', ['N', 1000])],
      output: [floatValueInfo('p', ['N', 1000])],
    },
  });
  const fused = fuseModels(
    [
      {
        model: await readOnnxModel(mobilenetFp32),
        prefix: 'm',
        inputs: { input: 'input' },
        outputs: { logits: 'logits' },
      },
      { model: onnxModelFromObject(softmax), prefix: 's', inputs: { z: 'logits' }, outputs: { p: 'prob' } },
    ],
    { inputs: ['input'], outputs: ['prob'], name: 'mobilenetv2-softmax' },
  );
  const path = join(dir, 'mobilenetv2-softmax.onnx');
  await writeFile(path, encodeOnnxModel(fused));
  return path;
}

/** FP32 [N, 3, 100, 100] -> ReduceMean -> [N, 3]: an image model of a size no preset has. */
export async function writeOddSizeImageModel(dir: string): Promise<string> {
  const { AttributeType } = onnxProto.onnx.AttributeProto;
  const model = onnxProto.onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-test',
    graph: {
      name: 'odd',
      node: [
        {
          name: 'mean',
          opType: 'ReduceMean',
          input: ['x'],
          output: ['y'],
          attribute: [
            { name: 'axes', type: AttributeType.INTS, ints: [2, 3] },
            { name: 'keepdims', type: AttributeType.INT, i: 0 },
          ],
        },
      ],
      input: [floatValueInfo('x', ['N', 3, 100, 100])],
      output: [floatValueInfo('y', ['N', 3])],
    },
  });
  const path = join(dir, 'odd.onnx');
  await writeFile(path, encodeOnnxModel(model));
  return path;
}
