import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  ModelHost,
  compileModelSources,
  createWorkspace,
  infer,
  openRegistry,
  type InferResponse,
  type ModelHostOptions,
  type ModelRegistry,
} from '@tachyon-serve/core';
import { ORANGE, sampleImage, sharedDir, tempDir } from '@tachyon-serve/test-support';

/** Real models registered as versions: v1 the int8 MobileNetV2 (3.6 MB), v2 its fp32 original (14 MB). */
export const INT8_FILE = 'mobilenetv2-int8-qdq.onnx';
export const FP32_FILE = 'mobilenetv2-fp32.onnx';
export const REGISTERED = 'classifier';

export const modelFile = (file: string): string => join(sharedDir(), 'models', file);
export const orange = sampleImage(ORANGE.file);

/** A real workspace (SQLite registry, blob store) in a temp folder, with `versions` registered as REGISTERED. */
export async function registryWorkspace(
  t: TestContext,
  versions: readonly string[] = [INT8_FILE],
): Promise<{ dir: string; registry: ModelRegistry }> {
  const dir = await tempDir(t, 'tachyon-ws-');
  const registry = await openRegistry(await createWorkspace(dir));
  t.after(() => registry.close());
  for (const file of versions) await registry.register(modelFile(file), REGISTERED);
  return { dir, registry };
}

/** A ModelHost over the shared models (no downloads), closed after the test. */
export async function createHost(t: TestContext, options: Partial<ModelHostOptions> = {}): Promise<ModelHost> {
  const cacheDir = await tempDir(t, 'tachyon-host-cache-');
  const sources = compileModelSources({
    cacheDir,
    modelPath: [join(sharedDir(), 'models')],
    allowDownload: false,
    env: {},
  });
  const host = await ModelHost.create({
    sources,
    pool: { workers: 1, intraOpThreads: 2, oversubscribe: true },
    ...options,
  });
  t.after(() => host.close());
  return host;
}

/** One orange through `infer()`, as every protocol runs it. */
export function classify(host: ModelHost, modelName: string, modelVersion?: string): Promise<InferResponse> {
  return infer(
    host,
    {
      modelName,
      ...(modelVersion === undefined ? {} : { modelVersion }),
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [orange] }],
    },
    { maxImagesPerRequest: 8 },
  );
}

/** The top-1 class index of a response's scores. */
export function top1(response: InferResponse): number {
  const scores = Array.from(response.outputs[0]!.data as ArrayLike<number>);
  return scores.indexOf(Math.max(...scores));
}
