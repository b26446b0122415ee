import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceDefinition, classifierStage, compileModelSources, imageStage, onnxStage } from '@tachyon-serve/core';

export interface TinyImageServiceOptions {
  /** File base name of the .onnx and the .zip, and the service's name. */
  name: string;
  description: string;
  /** An ONNX model reading `x` (FP32 [N, 3, 8, 8]) and writing `logits` ([N, labels]). */
  model: Uint8Array;
  labels: readonly string[];
}

/**
 * Writes NAME.onnx and NAME.zip into `dir` — a service definition of an 8x8 image stage (stretch, /255) -> the model
 * -> a top-2 classifier over logits — and returns the zip's path. Offline: nothing is downloaded.
 */
export async function createTinyImageService(dir: string, options: TinyImageServiceOptions): Promise<string> {
  const modelPath = join(dir, `${options.name}.onnx`);
  await writeFile(modelPath, options.model);
  const def = new ServiceDefinition(options.name, options.description);
  def.pipeline.push(
    imageStage({
      resize: 'stretch',
      size: [8, 8],
      interpolation: 'bilinear',
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      layout: 'NCHW',
    }),
    onnxStage(modelPath, { name: 'model', inputs: { x: 'pixels' }, outputs: { logits: 'scores' } }),
    classifierStage({ labels: options.labels, outputKind: 'logits', topK: 2, inputs: { scores: 'scores' } }),
  );
  const saved = await def.save(join(dir, `${options.name}.zip`), {
    sources: compileModelSources({ cacheDir: join(dir, 'cache'), allowDownload: false, env: {} }),
  });
  return saved.path;
}
