import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ServiceDefinition,
  openServedModel,
  classifierStage,
  defaultClassifier,
  featurizerStage,
  imageStage,
  kerasStage,
  onnxStage,
  type FeaturizerQuantizeOptions,
  type LoadedServiceDefinition,
  type PresetName,
  type StageManifest,
} from '@tachyon-serve/core';
import { classifyFiles } from '../classify-files.js';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printError, printJson, printLine } from '../output.js';
import { readLabelsFile } from './classify.js';
import { createBarPrinter, integerFlag } from './quantize.js';

export interface SvcdefCreateOptions {
  out: string;
  name?: string;
  featurizer: string;
  dtype: 'fp32' | 'int8';
  preset?: string;
  head?: string;
  keras?: string;
  labels?: string;
  outputKind?: 'logits' | 'probabilities';
  top: string;
  /** Quantize the fp32 featurizer on this folder's images while saving. */
  quantizeCalibration?: string;
  quantizeMethod?: 'minmax' | 'entropy' | 'percentile';
  quantizeSamples?: string;
  json?: boolean;
}

/** image -> featurizer -> (default ImageNet head | an .onnx head | a Keras head) -> classifier, saved as one zip. */
export async function runSvcdefCreate(options: SvcdefCreateOptions, globals: GlobalOptions): Promise<void> {
  const { sources } = await createCliContext(globals);
  const { zooEntry, zooId } = await import('@tachyon-serve/core');
  const entry = zooEntry(zooId(options.featurizer, options.dtype));
  const topK = Number(options.top);
  const def = new ServiceDefinition(options.name ?? entry.id);
  const quantize = quantizeOption(options);
  def.pipeline.push(
    imageStage((options.preset ?? entry.preset) as PresetName),
    featurizerStage(options.featurizer, { dtype: options.dtype, ...(quantize === undefined ? {} : { quantize }) }),
  );
  if (options.head === undefined && options.keras === undefined) {
    def.pipeline.push(defaultClassifier({ topK }));
  } else {
    if (options.head !== undefined && options.keras !== undefined)
      throw new TypeError('--head and --keras: give one of them');
    const labelsFile =
      options.labels ??
      (options.keras !== undefined && existsSync(join(options.keras, 'labels.txt'))
        ? join(options.keras, 'labels.txt')
        : undefined);
    if (labelsFile === undefined) throw new TypeError('--labels: a custom head needs its class names, one per line');
    const head =
      options.head !== undefined
        ? onnxStage(options.head, { name: 'head' })
        : kerasStage(options.keras!, { name: 'head' });
    // A Keras head trained by `tachyon train-head` ends in softmax; an ONNX head is taken to output logits.
    const outputKind = options.outputKind ?? (options.keras !== undefined ? 'probabilities' : 'logits');
    def.pipeline.push(head, classifierStage({ labels: await readLabelsFile(labelsFile), outputKind, topK }));
  }
  const bar = quantize === undefined ? undefined : createBarPrinter('calibrating');
  const created = await def.save(options.out, {
    sources,
    ...(bar === undefined ? {} : { onProgress: (p) => bar(p.done, p.total) }),
  });
  if (options.json)
    printJson({ path: created.path, sha256: created.sha256, size: created.size, manifest: created.manifest });
  else
    printLine(
      `${created.path}: ${created.manifest.stages.length} stages, ${(created.size / 1e6).toFixed(1)} MB, sha256 ${created.sha256}`,
    );
}

/** The featurizer's `quantize` option from the --quantize-* flags, or undefined without --quantize-calibration. */
function quantizeOption(options: SvcdefCreateOptions): FeaturizerQuantizeOptions | undefined {
  if (options.quantizeCalibration === undefined) {
    if (options.quantizeMethod !== undefined || options.quantizeSamples !== undefined) {
      throw new TypeError('--quantize-method and --quantize-samples: they need --quantize-calibration DIR');
    }
    return undefined;
  }
  if (options.dtype !== 'fp32')
    throw new TypeError('--quantize-calibration: needs --dtype fp32 (the int8 zoo model is quantized already)');
  const samples = integerFlag('--quantize-samples', options.quantizeSamples, 1);
  return {
    calibration: options.quantizeCalibration,
    ...(options.quantizeMethod === undefined ? {} : { method: options.quantizeMethod }),
    ...(samples === undefined ? {} : { samples }),
  };
}

export async function runSvcdefInspect(
  zip: string,
  options: { json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const loaded = await load(zip, globals);
  if (options.json) {
    printJson({ sha256: loaded.sha256, manifest: loaded.manifest });
    return;
  }
  const m = loaded.manifest;
  printLine(`${m.name}  (schema ${m.schemaVersion}, ${m.createdWith}, ${m.createdAt})`);
  if (m.description) printLine(m.description);
  printLine(`sha256 ${loaded.sha256}`);
  printLine('');
  printLine('stages');
  m.stages.forEach((stage, i) => printLine(`  ${i + 1}. ${stage.name} [${stage.kind}]  ${describeStage(stage)}`));
  printLine('');
  printLine('files');
  for (const f of m.files) printLine(`  ${f.path.padEnd(44)} ${(f.size / 1e6).toFixed(2).padStart(8)} MB  ${f.sha256}`);
}

export async function runSvcdefValidate(
  zip: string,
  options: { json?: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const loaded = await load(zip, globals);
  if (options.json)
    printJson({
      valid: true,
      name: loaded.manifest.name,
      stages: loaded.manifest.stages.length,
      sha256: loaded.sha256,
    });
  else printLine(`${zip}: valid (${loaded.manifest.stages.length} stages; schema, semantics and models checked)`);
}

export async function runSvcdefRun(
  zip: string,
  images: string[],
  options: { json?: boolean; fuse: boolean },
  globals: GlobalOptions,
): Promise<void> {
  const { sources } = await createCliContext(globals);
  const model = await openServedModel({ kind: 'service-definition', path: zip }, { sources, fuse: options.fuse });
  try {
    for (const note of model.pipeline?.fusionNotes ?? []) printError(`note: ${note}`);
    const failures = await classifyFiles(
      images,
      async (bytes) => (await model.classify([bytes]))[0]!,
      options.json === true,
    );
    if (failures > 0) process.exitCode = 1;
  } finally {
    await model.close();
  }
}

async function load(zip: string, globals: GlobalOptions): Promise<LoadedServiceDefinition> {
  const { sources } = await createCliContext(globals);
  return ServiceDefinition.load(zip, { cacheDir: sources.cacheDir });
}

function describeStage(stage: StageManifest): string {
  const ports = (map: Record<string, string>, arrow: string) =>
    Object.entries(map)
      .map(([port, tensor]) => `${port}${arrow}${tensor}`)
      .join(', ');
  const parts = [`in: ${ports(stage.inputs, ' <- ')}`];
  if (Object.keys(stage.outputs).length > 0) parts.push(`out: ${ports(stage.outputs, ' -> ')}`);
  if (stage.kind === 'featurizer') parts.push(`model ${stage.model} cut at "${stage.featureTensor}"`);
  if (stage.kind === 'featurizer' && stage.quantization) {
    const q = stage.quantization;
    parts.push(
      `int8 by ${q.tool} (${q.method}, ${q.samples} calibration images, weights ${q.perChannel ? 'per channel' : 'per tensor'})`,
    );
  }
  if (stage.kind === 'onnx' || stage.kind === 'featurizer' || stage.kind === 'keras') parts.push(`file ${stage.file}`);
  if (stage.kind === 'classifier') parts.push(`${stage.outputKind}, top ${stage.topK}, labels ${stage.labels}`);
  if (stage.kind === 'image')
    parts.push(
      `size ${JSON.stringify(stage.preprocess.size ?? [224, 224])}, ${stage.preprocess.channelOrder ?? 'RGB'}`,
    );
  return parts.join('; ');
}
