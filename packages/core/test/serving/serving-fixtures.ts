// Small generated models for the engine's tests: an identity tensor model, a softmax classifier made from MobileNetV2
// (to catch double softmax), and an image model whose input size tells no preset.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { encodeOnnxModel, fuseModels, readOnnxModel } from '../../src/index.js';
import { buildModel, floatInfo, node } from '../graph/graph-fixtures.js';
import { sharedModel } from '../support/shared-data.js';

export async function fixtureDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-serving-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** FP32 [N, 4] -> Identity -> FP32 [N, 4]. */
export async function writeIdentityModel(dir: string): Promise<string> {
  const path = join(dir, 'identity.onnx');
  await writeFile(path, encodeOnnxModel(buildModel({ name: 'identity', node: [node('Identity', ['x'], ['y'])], input: [floatInfo('x', ['N', 4])], output: [floatInfo('y', ['N', 4])] })));
  return path;
}

/** MobileNetV2 fp32 with a Softmax after its logits: a 224 px classifier that outputs probabilities. */
export async function writeSoftmaxClassifier(dir: string): Promise<string> {
  const backbone = await readOnnxModel(sharedModel('mobilenetv2-fp32.onnx'));
  const softmax = buildModel({ name: 'softmax', node: [node('Softmax', ['z'], ['p'], [{ name: 'axis', type: 2, i: 1 }])], input: [floatInfo('z', ['N', 1000])], output: [floatInfo('p', ['N', 1000])] });
  const fused = fuseModels(
    [
      { model: backbone, prefix: 'm', inputs: { input: 'input' }, outputs: { logits: 'logits' } },
      { model: softmax, prefix: 's', inputs: { z: 'logits' }, outputs: { p: 'prob' } },
    ],
    { inputs: ['input'], outputs: ['prob'], name: 'mobilenetv2-softmax' },
  );
  const path = join(dir, 'mobilenetv2-softmax.onnx');
  await writeFile(path, encodeOnnxModel(fused));
  return path;
}

/** FP32 [N, 3, 100, 100] -> ReduceMean -> [N, 3]: an image model of a size no preset has. */
export async function writeOddSizeImageModel(dir: string): Promise<string> {
  const path = join(dir, 'odd.onnx');
  const model = buildModel({
    name: 'odd',
    node: [node('ReduceMean', ['x'], ['y'], [{ name: 'axes', type: 7, ints: [2, 3] }, { name: 'keepdims', type: 2, i: 0 }])],
    input: [floatInfo('x', ['N', 3, 100, 100])],
    output: [floatInfo('y', ['N', 3])],
  });
  await writeFile(path, encodeOnnxModel(model));
  return path;
}
