import { mkdir, symlink, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readOnnxModel, type OnnxModel } from '../graph/index.js';
import { presetByName } from '../image/presets.js';
import { imagenetClassNames } from '../labels/imagenet-labels.js';
import type { OutputKind } from '../labels/top-k.js';
import { resolveImageModelDefaults } from '../serving/model-defaults.js';
import { PIPELINE_INPUT, SERVICE_SCHEMA_VERSION, type ServiceManifest } from '../service-def/manifest.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';

export interface ModelServiceOptions {
  /** The .onnx classifier (a full model: image tensor in, class scores out). */
  modelPath: string;
  /** Its catalog entry: io names, preset and output kind. */
  entry?: ZooEntry;
  /** @default the entry's preset, else read from the input shape (resolveImageModelDefaults) */
  preset?: string | undefined;
  /** @default the 1000 ImageNet classes */
  labels?: readonly string[];
  /** @default the entry's, else 'probabilities' when the graph ends in Softmax, else 'logits' */
  outputKind?: OutputKind | undefined;
  /** @default 5 */
  topK?: number;
  /** The model already decoded (saves reading it again). @default read from modelPath */
  graph?: OnnxModel;
}

/**
 * A plain classifier model as a service: image -> model -> classifier, in the same manifest form a service
 * definition zip has, so one runtime (ServicePipeline) serves both. Writes the labels and a link to the model into
 * `workDir` (the manifest's folder); nothing is copied.
 */
export async function createModelService(
  options: ModelServiceOptions,
  workDir: string,
): Promise<{ manifest: ServiceManifest; dir: string }> {
  const { entry } = options;
  const defaults = resolveImageModelDefaults(options.graph ?? (await readOnnxModel(options.modelPath)), entry, options);
  const { input, output } = defaults;
  const { maxInputBytes: _b, maxPixels: _p, ...preprocess } = presetByName(defaults.preset);
  const dir = resolve(workDir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await symlink(resolve(options.modelPath), join(dir, 'model.onnx'));
  const labels = options.labels ?? imagenetClassNames();
  await writeFile(join(dir, 'labels.txt'), `${labels.join('\n')}\n`);
  const manifest: ServiceManifest = {
    schemaVersion: SERVICE_SCHEMA_VERSION as typeof SERVICE_SCHEMA_VERSION,
    name: entry?.id ?? 'model',
    createdWith: 'tachyon',
    createdAt: new Date().toISOString(),
    stages: [
      {
        kind: 'image',
        name: 'preprocess',
        inputs: { images: PIPELINE_INPUT },
        outputs: { tensor: 'pixels' },
        preprocess: { ...preprocess },
      },
      {
        kind: 'onnx',
        name: 'model',
        file: 'model.onnx',
        inputs: { [input]: 'pixels' },
        outputs: { [output]: 'scores' },
      },
      {
        kind: 'classifier',
        name: 'classifier',
        inputs: { scores: 'scores' },
        outputs: {},
        outputKind: defaults.outputKind,
        topK: options.topK ?? 5,
        labels: 'labels.txt',
      },
    ],
    files: [],
  };
  return { manifest, dir };
}
