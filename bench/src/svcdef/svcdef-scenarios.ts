// The service-definition groups of bench:svcdef: for one backbone, the same definition run fused (adjacent ONNX
// stages compiled into one graph, one session call) and unfused (one session call per stage), next to the full
// model alone through openServedModel, in alternating blocks.
import { join } from 'node:path';
import {
  ServiceDefinition,
  ServicePipeline,
  openServedModel,
  type ServedModel,
  buildHeadModel,
  classifierStage,
  createTfjsRuntime,
  defaultClassifier,
  featurizerStage,
  imageStage,
  kerasStage,
  resolveZooModel,
  saveKerasModel,
  topK,
  zooEntry,
  type ModelSources,
  type OnnxRuntimeBackend,
  type PipelineUnitInfo,
  type ZooEntry,
} from '@tachyon-serve/core';
import { measureInterleaved, type Contender } from '../measure.js';
import type { BenchImage } from '../scenarios.js';
import { toRow, type LatencyRow, type MachineDuringRun } from '../server/bench-common.js';

export interface SvcdefContext {
  image: BenchImage;
  backend: OnnxRuntimeBackend;
  sources: ModelSources;
  /** Scratch folder: zips, the svcdef extraction cache, the Keras head. */
  workDir: string;
  iterations: number;
  blocks: number;
  log: (message: string) => void;
}

/** One definition measured three ways. */
export interface SvcdefGroup {
  /** `<backbone zoo id>` for featurizer + default classifier, `<backbone zoo id>+keras-head` for the Keras head. */
  id: string;
  stages: string[];
  fusedPlan: PipelineUnitInfo[];
  unfusedPlan: PipelineUnitInfo[];
  fusionNotes: string[];
  /** The reference's relation to the definition: the same computation, or the backbone with its own (bigger) head. */
  reference: 'same-model' | 'backbone-with-imagenet-head';
  checks: {
    /** max |fused - unfused| over the score tensor: the two must compute the same thing. */
    fusedVsUnfusedMaxAbsDiff: number;
    /** Top-5 indexes of the fused definition and of the full model agree (same-model groups only). */
    top5MatchesFullModel?: boolean;
    fusedTop1: { index: number; label: string; score: number };
  };
  rows: LatencyRow[];
  machine: MachineDuringRun;
}

/** Pause before each block: idle onnxruntime pools keep spinning for a while (see the foundation bench's measure.ts). */
const SWITCH_PAUSE_MS = 100;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function measureGroup(
  ctx: SvcdefContext,
  id: string,
  fused: ServicePipeline,
  unfused: ServicePipeline,
  full: ServedModel,
): Promise<{ rows: LatencyRow[]; machine: MachineDuringRun }> {
  const jpeg = [ctx.image.bytes];
  const names = {
    fused: `svcdef/${id}/fused`,
    unfused: `svcdef/${id}/unfused`,
    full: `full-model/${id.split('+')[0]}`,
  };
  const contenders: Contender[] = [
    { name: names.fused, call: () => fused.scores(jpeg) },
    { name: names.unfused, call: () => unfused.scores(jpeg) },
    { name: names.full, call: () => full.classifyImage(ctx.image.bytes, 5) },
  ];
  const started = Date.now();
  const { results, machine } = await measureInterleaved(contenders, {
    iterations: ctx.iterations,
    blocks: ctx.blocks,
    warmup: 10,
    blockWarmup: 2,
    switchPauseMs: SWITCH_PAUSE_MS,
    onBlock: (r, n) => ctx.log(`${id}: block ${r}/${n} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
  });
  ctx.log(
    `${id}: other processes used ${machine.cpu?.otherCores ?? '?'} cores; ${machine.retriedRounds} round(s) retried, ${machine.contendedRoundsKept} kept contended`,
  );
  const describe: Record<string, string> = {
    [names.fused]: 'ServicePipeline fuse:true, scores([jpeg]): preprocess + one session call for the fused ONNX stages',
    [names.unfused]: 'ServicePipeline fuse:false, scores([jpeg]): preprocess + one call per stage',
    [names.full]: 'ServedModel.classifyImage(jpeg, 5): preprocess + the full zoo model in one call + softmax/top-5',
  };
  return {
    rows: results.map((s) =>
      toRow(s, results, { side: s.name === names.full ? 'peer' : 'tachyon', description: describe[s.name]! }, machine),
    ),
    machine,
  };
}

async function fullModel(ctx: SvcdefContext, entry: ZooEntry): Promise<ServedModel> {
  const { path } = await resolveZooModel(entry, ctx.sources);
  return openServedModel(path, { preset: entry.preset, outputKind: entry.outputKind, backend: ctx.backend });
}

async function buildPipelines(
  ctx: SvcdefContext,
  def: ServiceDefinition,
  file: string,
): Promise<{ fused: ServicePipeline; unfused: ServicePipeline }> {
  const saved = await def.save(join(ctx.workDir, file), { sources: ctx.sources, backend: ctx.backend });
  const loaded = await ServiceDefinition.load(saved.path, { cacheDir: join(ctx.workDir, 'cache'), env: {} });
  const fused = await ServicePipeline.create(loaded.manifest, loaded.dir, { fuse: true, backend: ctx.backend });
  const unfused = await ServicePipeline.create(loaded.manifest, loaded.dir, {
    fuse: false,
    backend: ctx.backend,
  }).catch(async (e: unknown) => {
    await fused.close();
    throw e;
  });
  return { fused, unfused };
}

/** imageStage(preset) + featurizerStage(family, {dtype}) + defaultClassifier(): the backbone's own head, so the same model. */
export async function runDefaultHeadGroup(ctx: SvcdefContext, modelId: string): Promise<SvcdefGroup> {
  const entry = zooEntry(modelId);
  ctx.log(
    `${modelId}: building imageStage + featurizerStage('${entry.family}', {dtype: '${entry.dtype}'}) + defaultClassifier()`,
  );
  const def = new ServiceDefinition(`${modelId}-bench`);
  def.pipeline.push(
    imageStage(entry.preset),
    featurizerStage(entry.family, { dtype: entry.dtype }),
    defaultClassifier(),
  );
  const { fused, unfused } = await buildPipelines(ctx, def, `${modelId}.zip`);
  const full = await fullModel(ctx, entry);
  try {
    const a = (await fused.scores([ctx.image.bytes])).data as Float32Array;
    const b = (await unfused.scores([ctx.image.bytes])).data as Float32Array;
    const diff = maxAbsDiff(a, b);
    if (!(diff < 1e-3))
      throw new Error(`${modelId}: fused and unfused disagree on the same image (max |diff| ${diff})`);
    const { labels, outputKind } = fused.classifier;
    const fusedTop = topK(a, 5, labels, outputKind);
    const fullTop = await full.classifyImage(ctx.image.bytes, 5);
    const top5MatchesFullModel = fusedTop.every((e, i) => e.index === fullTop[i]!.index);
    const { rows, machine } = await measureGroup(ctx, modelId, fused, unfused, full);
    return {
      id: modelId,
      stages: def.pipeline.map((s) => `${s.kind}:${s.name}`),
      fusedPlan: fused.plan,
      unfusedPlan: unfused.plan,
      fusionNotes: [...fused.fusionNotes],
      reference: 'same-model',
      checks: { fusedVsUnfusedMaxAbsDiff: diff, top5MatchesFullModel, fusedTop1: top1(fusedTop[0]!) },
      rows,
      machine,
    };
  } finally {
    await Promise.all([fused.close(), unfused.close(), full.close()]);
  }
}

/** Classes of the Keras head: train-head's head shape (linear softmax, dropout 0.2 while training) over 10 classes. */
export const KERAS_HEAD = Object.freeze({ classes: 10, hidden: 0, dropout: 0.2, seed: 7 });

/**
 * imageStage + featurizerStage(mobilenetv2 int8) + kerasStage(Dense softmax head, tfjs layers format) + classifierStage:
 * the transfer-learning definition. Fused, the Dense head is converted to ONNX and compiled into the featurizer's graph;
 * unfused it runs on tfjs (wasm, else cpu) in this thread after the featurizer's session call.
 */
export async function runKerasHeadGroup(ctx: SvcdefContext, backboneId: string): Promise<SvcdefGroup> {
  const entry = zooEntry(backboneId);
  const id = `${backboneId}+keras-head`;
  ctx.log(
    `${id}: building a Keras Dense head (${KERAS_HEAD.classes} classes) after featurizerStage('${entry.family}', {dtype: '${entry.dtype}'})`,
  );
  const { tf, backend: tfBackend } = await createTfjsRuntime();
  const head = buildHeadModel(tf, { features: 1280, ...KERAS_HEAD });
  const headDir = join(ctx.workDir, 'keras-head');
  try {
    await saveKerasModel(head, headDir);
  } finally {
    head.dispose();
  }
  const labels = Array.from({ length: KERAS_HEAD.classes }, (_, i) => `class-${i}`);
  const def = new ServiceDefinition('keras-head-bench');
  def.pipeline.push(
    imageStage(entry.preset),
    featurizerStage(entry.family, { dtype: entry.dtype }),
    kerasStage(headDir, { name: 'head' }),
    classifierStage({ labels, outputKind: 'probabilities', topK: 5 }),
  );
  const { fused, unfused } = await buildPipelines(ctx, def, 'keras-head.zip');
  const full = await fullModel(ctx, entry);
  try {
    const a = (await fused.scores([ctx.image.bytes])).data as Float32Array;
    const b = (await unfused.scores([ctx.image.bytes])).data as Float32Array;
    const diff = maxAbsDiff(a, b);
    if (!(diff < 1e-3)) throw new Error(`${id}: fused and unfused disagree on the same image (max |diff| ${diff})`);
    const fusedTop = topK(a, 5, labels, 'probabilities');
    const { rows, machine } = await measureGroup(ctx, id, fused, unfused, full);
    return {
      id,
      stages: def.pipeline.map((s) => `${s.kind}:${s.name}`),
      fusedPlan: fused.plan,
      unfusedPlan: unfused.plan,
      fusionNotes: [...fused.fusionNotes, `unfused Keras head runs on tfjs backend "${tfBackend}"`],
      reference: 'backbone-with-imagenet-head',
      checks: { fusedVsUnfusedMaxAbsDiff: diff, fusedTop1: top1(fusedTop[0]!) },
      rows,
      machine,
    };
  } finally {
    await Promise.all([fused.close(), unfused.close(), full.close()]);
  }
}

function top1(e: { index: number; label: string; score: number }): { index: number; label: string; score: number } {
  return { index: e.index, label: e.label, score: Math.round(e.score * 1e4) / 1e4 };
}
