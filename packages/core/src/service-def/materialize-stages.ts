import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import type { Backend } from '../backends/backend.js';
import {
  encodeOnnxModel,
  extractSubgraph,
  modelIoNames,
  readOnnxModel,
  type OnnxModel,
  type TensorInfo,
} from '../graph/index.js';
import { imagenetClassNames } from '../labels/imagenet-labels.js';
import { zooEntry, zooId } from '../zoo/catalog.js';
import type { ModelSources } from '../zoo/model-sources.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';
import { PIPELINE_INPUT, type StageManifest } from './manifest.js';
import { createFeaturizerModel } from './featurizer-model.js';
import { quantizeFeaturizer } from './featurizer-quantize.js';
import type { StageSpec } from './stage-specs.js';

export interface MaterializedFile {
  path: string;
  bytes: Uint8Array;
}

export interface MaterializedStages {
  stages: StageManifest[];
  files: MaterializedFile[];
}

/** Progress of `ServiceDefinition.save` beyond downloads (those report through `sources.onProgress`). */
export interface SaveProgress {
  /** The stage's name. */
  stage: string;
  /** 'calibrating': a featurizer with `quantize` runs in fp32 on its calibration images, `done` of `total`. */
  step: 'calibrating';
  done: number;
  total: number;
}

export interface MaterializeOptions {
  onProgress?: ((progress: SaveProgress) => void) | undefined;
}

interface Featurized {
  entry: ZooEntry;
  model: OnnxModel;
  feature: TensorInfo;
}

/**
 * Turns the stages a user pushed into manifest stages plus the files to pack: zoo backbones are resolved and cut at
 * their feature tensor, the default classifier becomes the backbone's own head (an ONNX stage) and a classifier
 * stage, and every omitted port map is written out, each stage reading the main output of the one before.
 */
export async function materializeStages(
  specs: readonly StageSpec[],
  sources: ModelSources,
  backend: Backend,
  options: MaterializeOptions = {},
): Promise<MaterializedStages> {
  const stages: StageManifest[] = [];
  const files: MaterializedFile[] = [];
  let previous = PIPELINE_INPUT;
  let featurized: Featurized | undefined;
  const only = (map: Record<string, string>): string => Object.values(map)[0] ?? previous;

  for (const spec of specs) {
    switch (spec.kind) {
      case 'image': {
        const outputs = spec.outputs ?? { tensor: 'pixels' };
        stages.push({
          kind: 'image',
          name: spec.name,
          inputs: spec.inputs ?? { images: previous },
          outputs,
          preprocess: spec.preprocess,
        });
        previous = only(outputs);
        break;
      }
      case 'featurizer': {
        const entry = zooEntry(zooId(spec.family, spec.dtype));
        const { full, cut, feature } = await createFeaturizerModel(entry, sources, backend);
        const progress = options.onProgress;
        const quantized = spec.quantize
          ? await quantizeFeaturizer(
              cut,
              entry,
              spec.quantize,
              progress && ((done, total) => progress({ stage: spec.name, step: 'calibrating', done, total })),
            )
          : undefined;
        const file = `models/${entry.id}.featurizer${quantized ? '.int8' : ''}.onnx`;
        files.push({ path: file, bytes: encodeOnnxModel(quantized?.model ?? cut) });
        const outputs = spec.outputs ?? { [feature.name]: 'features' };
        const stage: StageManifest = {
          kind: 'featurizer',
          name: spec.name,
          model: entry.id,
          featureTensor: feature.name,
          file,
          inputs: spec.inputs ?? { [entry.input]: previous },
          outputs,
        };
        if (spec.executionProviders) stage.executionProviders = spec.executionProviders;
        if (quantized) stage.quantization = quantized.quantization;
        stages.push(stage);
        featurized = { entry, model: full, feature };
        previous = only(outputs);
        break;
      }
      case 'default-classifier': {
        if (!featurized) {
          throw new TachyonError(
            'TCH_ERR_SVCDEF_INVALID',
            'The default classifier needs a featurizer stage before it.',
            {
              details: {
                issues: [
                  { path: `stages[${stages.length}]`, message: 'defaultClassifier() must follow featurizerStage()' },
                ],
              },
            },
          );
        }
        const { entry, model, feature } = featurized;
        const file = `models/${entry.id}.head.onnx`;
        files.push({ path: file, bytes: encodeOnnxModel(extractSubgraph(model, [feature], [entry.output])) });
        stages.push({
          kind: 'onnx',
          name: `${spec.name}-head`,
          file,
          inputs: { [feature.name]: previous },
          outputs: { [entry.output]: 'scores' },
        });
        const labels = 'labels/imagenet.txt';
        files.push({ path: labels, bytes: Buffer.from(`${imagenetClassNames().join('\n')}\n`) });
        stages.push({
          kind: 'classifier',
          name: spec.name,
          inputs: { scores: 'scores' },
          outputs: {},
          outputKind: entry.outputKind,
          topK: spec.topK,
          labels,
        });
        break;
      }
      case 'onnx': {
        const bytes = await readFile(spec.source);
        const { inputs, outputs } = modelIoNames(await readOnnxModel(spec.source));
        const file = `models/${spec.name}.onnx`;
        files.push({ path: file, bytes });
        const outMap = spec.outputs ?? singlePort(outputs, `${spec.name}_output`, spec.name, 'output');
        const stage: StageManifest = {
          kind: 'onnx',
          name: spec.name,
          file,
          inputs: spec.inputs ?? { [singleName(inputs, spec.name, 'input')]: previous },
          outputs: outMap,
        };
        if (spec.executionProviders) stage.executionProviders = spec.executionProviders;
        stages.push(stage);
        previous = only(outMap);
        break;
      }
      case 'keras': {
        const names = (await readdir(spec.source)).filter((n) => n === 'model.json' || n.endsWith('.bin')).sort();
        if (!names.includes('model.json')) {
          throw new TachyonError('TCH_ERR_KERAS_LOAD_FAILED', `Folder "${spec.source}" has no model.json.`, {
            details: { source: spec.source },
          });
        }
        for (const n of names)
          files.push({ path: `models/${spec.name}/${n}`, bytes: await readFile(join(spec.source, n)) });
        const outputs = spec.outputs ?? { output: `${spec.name}_output` };
        stages.push({
          kind: 'keras',
          name: spec.name,
          file: `models/${spec.name}/model.json`,
          inputs: spec.inputs ?? { input: previous },
          outputs,
        });
        previous = only(outputs);
        break;
      }
      case 'classifier': {
        const labels = `labels/${spec.name}.txt`;
        files.push({ path: labels, bytes: Buffer.from(`${spec.labels.join('\n')}\n`) });
        stages.push({
          kind: 'classifier',
          name: spec.name,
          inputs: spec.inputs ?? { scores: previous },
          outputs: {},
          outputKind: spec.outputKind,
          topK: spec.topK,
          labels,
        });
        break;
      }
    }
  }
  return { stages, files };
}

function singleName(names: readonly string[], stage: string, what: string): string {
  if (names.length !== 1) {
    throw new TachyonError(
      'TCH_ERR_SVCDEF_INVALID',
      `Stage "${stage}" has ${names.length} ${what}s: give its ${what}s map explicitly.`,
      {
        details: { issues: [{ path: stage, message: `${what}s: ${names.join(', ')}` }] },
      },
    );
  }
  return names[0]!;
}

function singlePort(names: readonly string[], tensor: string, stage: string, what: string): Record<string, string> {
  return { [singleName(names, stage, what)]: tensor };
}
