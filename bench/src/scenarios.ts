import ort from 'onnxruntime-node';
import {
  openServedModel,
  jpegDecoder,
  preprocessImage,
  presetByName,
  type JpegDecoder,
  type OnnxRuntimeBackend,
  type PresetName,
} from '@tachyon-serve/core';
import { measureInterleaved, type Contender, type ContenderSamples, type MeasureMachine } from './measure.js';
import type { BenchModel } from './models.js';
import { EchoWorker } from './worker-roundtrip.js';
import { round, summarize, type LatencySummary } from './stats.js';

/** The benchmark image: one real JPEG, read once (file I/O is not part of any scenario). */
export interface BenchImage {
  name: string;
  path: string;
  bytes: Uint8Array;
  width: number;
  height: number;
}

export interface ScenarioResult extends LatencySummary {
  name: string;
  /** null for preprocessing alone. */
  model: string | null;
  /** 'random': random-weight model, the timing is meaningful, the outputs are not. null: no model involved. */
  weights: 'real' | 'random' | null;
  batch: 1;
  /** Each block's median (ms), in measurement order. */
  blockP50s: number[];
  /** The other scenarios measured in alternating blocks with this one. */
  interleavedWith: string[];
  /** The machine during the kept rounds of this group: other processes' CPU use and hypervisor steal. */
  cpu?: MeasureMachine['cpu'];
  /** Rounds measured again because other processes were busy during them. */
  retriedRounds: number;
  /** Rounds kept although contended (retries exhausted). */
  contendedRoundsKept: number;
  image?: string;
  preset?: PresetName;
  /** preprocess: which library decoded the JPEG. */
  jpegDecoder?: JpegDecoder;
  /** tachyon-run and worker-roundtrip: whether the input was copied (structured clone) or transferred to the worker. */
  mode?: 'copy' | 'transfer';
}

/** Same-input agreement between raw onnxruntime and tachyon, checked before timing (a benchmark of two different computations would mean nothing). */
export interface ModelCheck {
  model: string;
  maxAbsDiff: number;
  /** Top-1 class index of the e2e pipeline on the benchmark image. */
  e2eTop1?: { index: number; label: string; score: number };
}

export interface RunContext {
  image: BenchImage;
  backend: OnnxRuntimeBackend;
  /** Overrides every group's default when set. */
  iterations?: number;
  /** Overrides every group's default when set. */
  blocks?: number;
  selected: (scenarioName: string) => boolean;
  log: (message: string) => void;
}

/** Default timed iterations per contender, sized so `npm run bench` takes under ~5 minutes on a 2-core machine. */
export const DEFAULT_ITERATIONS = Object.freeze({ preprocess: 300, roundtrip: 1000, real: 600, random: 40 });

/**
 * Alternating blocks per contender. Slow phases of a shared VM last seconds, so the small models take many short
 * blocks (a round of raw, copy and transfer then spans a fraction of a second); the big ones 10 blocks of 4 calls.
 */
export const DEFAULT_BLOCKS = Object.freeze({ preprocess: 10, roundtrip: 10, real: 30, random: 10 });

/** Pause before each block of a model's raw/tachyon alternation (see measureInterleaved's switchPauseMs). */
const SWITCH_PAUSE_MS = 100;

/** Untimed calls at the start of each block (see measureInterleaved): one long call already outlasts any spinning pool. */
const BLOCK_WARMUP = Object.freeze({ preprocess: 1, roundtrip: 2, real: 2, random: 1 });

export const PRESETS_MEASURED: readonly PresetName[] = ['torchvision224', 'caffe227'];

function warmupFor(iterations: number): number {
  return Math.min(20, Math.max(3, Math.ceil(iterations / 10)));
}

function toResult(
  s: ContenderSamples,
  all: readonly ContenderSamples[],
  fields: Omit<
    ScenarioResult,
    | 'name'
    | 'batch'
    | 'iterations'
    | 'p50'
    | 'p90'
    | 'p99'
    | 'max'
    | 'min'
    | 'mean'
    | 'throughput'
    | 'blockP50s'
    | 'interleavedWith'
    | 'cpu'
    | 'retriedRounds'
    | 'contendedRoundsKept'
  >,
  machine: MeasureMachine,
): ScenarioResult {
  const sum = summarize(s.samples);
  return {
    name: s.name,
    ...fields,
    batch: 1,
    iterations: sum.iterations,
    p50: round(sum.p50),
    p90: round(sum.p90),
    p99: round(sum.p99),
    max: round(sum.max),
    min: round(sum.min),
    mean: round(sum.mean),
    throughput: round(sum.throughput, 1),
    blockP50s: s.blockP50s.map((v) => round(v)),
    interleavedWith: all.filter((o) => o !== s).map((o) => o.name),
    ...(machine.cpu ? { cpu: machine.cpu } : {}),
    retriedRounds: machine.retriedRounds,
    contendedRoundsKept: machine.contendedRoundsKept,
  };
}

function logMachine(ctx: RunContext, what: string, machine: MeasureMachine): void {
  ctx.log(
    `${what}: other processes used ${machine.cpu?.otherCores ?? '?'} cores in the kept rounds; ` +
      `${machine.retriedRounds} round(s) retried, ${machine.contendedRoundsKept} kept contended`,
  );
}

export function imageStem(image: BenchImage): string {
  return image.name.replace(/\.[^.]+$/, '');
}

/**
 * `preprocess/<preset>/<image>`: decode + resize + crop + normalize of the benchmark JPEG, allocating its output as the
 * pipeline does, with the JPEG decoder in effect (libjpeg-turbo unless TACHYON_JPEG_DECODER says libvips). Beside it,
 * in the same rounds, `preprocess-libvips/<preset>/<image>`: the same with TACHYON_JPEG_DECODER=libvips (sharp decodes).
 */
export async function runPreprocessScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const contenders: Contender[] = [];
  const decoder = jpegDecoder();
  for (const preset of PRESETS_MEASURED) {
    const config = presetByName(preset);
    const name = `preprocess/${preset}/${imageStem(ctx.image)}`;
    if (ctx.selected(name)) contenders.push({ name, call: () => preprocessImage(ctx.image.bytes, config) });
    const libvips = `preprocess-libvips/${preset}/${imageStem(ctx.image)}`;
    if (decoder !== 'libvips' && ctx.selected(libvips))
      contenders.push({
        name: libvips,
        call: () => withLibvipsDecoder(() => preprocessImage(ctx.image.bytes, config)),
      });
  }
  if (contenders.length === 0) return [];
  const iterations = ctx.iterations ?? DEFAULT_ITERATIONS.preprocess;
  ctx.log(`preprocess: ${contenders.length} scenario(s) x ${iterations} iterations`);
  const blocks = ctx.blocks ?? DEFAULT_BLOCKS.preprocess;
  const { results: samples, machine } = await measureInterleaved(contenders, {
    iterations,
    blocks,
    warmup: warmupFor(iterations),
    blockWarmup: BLOCK_WARMUP.preprocess,
  });
  logMachine(ctx, 'preprocess', machine);
  return samples.map((s) => {
    const preset = s.name.split('/')[1] as PresetName;
    const jpeg = s.name.startsWith('preprocess-libvips/') ? 'libvips' : decoder;
    return toResult(
      s,
      samples,
      { model: null, weights: null, image: ctx.image.name, preset, jpegDecoder: jpeg },
      machine,
    );
  });
}

/** Runs `call` with sharp decoding JPEGs (the env variable is read on each call; contenders never overlap). */
async function withLibvipsDecoder<T>(call: () => Promise<T>): Promise<T> {
  const before = process.env['TACHYON_JPEG_DECODER'];
  process.env['TACHYON_JPEG_DECODER'] = 'libvips';
  try {
    return await call();
  } finally {
    if (before === undefined) delete process.env['TACHYON_JPEG_DECODER'];
    else process.env['TACHYON_JPEG_DECODER'] = before;
  }
}

/**
 * `worker-roundtrip/<mode>`: a 1x3x224x224 float32 input posted to a worker that does nothing but answer with 1000
 * floats. No model, no validation: the floor under tachyon-run's overhead on this machine.
 */
export async function runRoundTripScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const names = { copy: 'worker-roundtrip/copy', transfer: 'worker-roundtrip/transfer' };
  if (!ctx.selected(names.copy) && !ctx.selected(names.transfer)) return [];
  const iterations = ctx.iterations ?? DEFAULT_ITERATIONS.roundtrip;
  const echo = new EchoWorker();
  try {
    const data = new Float32Array(3 * 224 * 224).fill(0.5);
    let fresh = data;
    const contenders: Contender[] = [];
    if (ctx.selected(names.copy)) contenders.push({ name: names.copy, call: () => echo.roundTrip(data, false) });
    if (ctx.selected(names.transfer)) {
      contenders.push({
        name: names.transfer,
        prepare: () => {
          fresh = data.slice();
        },
        call: () => echo.roundTrip(fresh, true),
      });
    }
    ctx.log(`worker-roundtrip: ${contenders.length} scenario(s) x ${iterations} iterations`);
    const { results: samples, machine } = await measureInterleaved(contenders, {
      iterations,
      blocks: ctx.blocks ?? DEFAULT_BLOCKS.roundtrip,
      warmup: warmupFor(iterations),
      blockWarmup: BLOCK_WARMUP.roundtrip,
    });
    logMachine(ctx, 'worker-roundtrip', machine);
    return samples.map((s) =>
      toResult(s, samples, { model: null, weights: null, mode: s.name === names.copy ? 'copy' : 'transfer' }, machine),
    );
  } finally {
    await echo.close();
  }
}

/** The scenario names of one model, in the order they are reported. */
export function modelScenarioNames(model: BenchModel) {
  return {
    raw: `raw-ort/${model.id}`,
    copy: `tachyon-run/${model.id}/copy`,
    transfer: `tachyon-run/${model.id}/transfer`,
    e2e: `tachyon-e2e/${model.id}`,
  };
}

/**
 * For one model: raw onnxruntime-node in this thread (`raw-ort`) and tachyon's session.run with the input copied and
 * transferred (`tachyon-run`), in alternating blocks; then image bytes -> top-5 through the engine (openServedModel) (`tachyon-e2e`).
 */
export async function runModelScenarios(
  ctx: RunContext,
  model: BenchModel,
): Promise<{ results: ScenarioResult[]; check?: ModelCheck }> {
  const names = modelScenarioNames(model);
  const want = {
    raw: ctx.selected(names.raw),
    copy: ctx.selected(names.copy),
    transfer: ctx.selected(names.transfer),
    e2e: ctx.selected(names.e2e),
  };
  if (!want.raw && !want.copy && !want.transfer && !want.e2e) return { results: [] };

  const iterations = ctx.iterations ?? DEFAULT_ITERATIONS[model.weights];
  ctx.log(`${model.id}: loading (${model.weights} weights)`);
  const input = await preprocessImage(ctx.image.bytes, presetByName(model.preset));
  const dims = [...input.dims];

  // The peer: what a user of onnxruntime-node would write, with exactly the options tachyon's worker uses.
  const raw = await ort.InferenceSession.create(model.path, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: ctx.backend.config.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const session = await ctx.backend.createSession(model.path);
  const classifier = want.e2e
    ? await openServedModel(model.path, { preset: model.preset, outputKind: model.outputKind, backend: ctx.backend })
    : undefined;

  try {
    const rawTensor = new ort.Tensor('float32', input.data, dims);
    const rawFeeds = { [model.input]: rawTensor };
    const tachyonFeeds = { [model.input]: { dtype: 'float32' as const, dims, data: input.data } };

    const rawOut = (await raw.run(rawFeeds))[model.output]!.data as Float32Array;
    const tachyonOut = (await session.run(tachyonFeeds))[model.output]!.data as Float32Array;
    let maxAbsDiff = 0;
    for (let i = 0; i < rawOut.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(rawOut[i]! - tachyonOut[i]!));
    if (rawOut.length !== tachyonOut.length || !(maxAbsDiff < 1e-3)) {
      throw new Error(`${model.id}: raw onnxruntime and tachyon disagree on the same input (max |diff| ${maxAbsDiff})`);
    }
    const check: ModelCheck = { model: model.id, maxAbsDiff };
    if (classifier) {
      const top = (await classifier.classifyImage(ctx.image.bytes, 5))[0]!;
      check.e2eTop1 = { index: top.index, label: top.label, score: round(top.score, 4) };
    }

    const contenders: Contender[] = [];
    if (want.raw) contenders.push({ name: names.raw, call: () => raw.run(rawFeeds) });
    if (want.copy) contenders.push({ name: names.copy, call: () => session.run(tachyonFeeds) });
    if (want.transfer) {
      let fresh = tachyonFeeds;
      contenders.push({
        name: names.transfer,
        // The transfer detaches the caller's buffer, so each call gets its own copy, made outside the timer.
        prepare: () => {
          fresh = { [model.input]: { dtype: 'float32', dims, data: input.data.slice() } };
        },
        call: () => session.run(fresh, { transfer: true }),
      });
    }
    const blocks = ctx.blocks ?? DEFAULT_BLOCKS[model.weights];
    const measure = async (phase: string, group: Contender[]): Promise<ScenarioResult[]> => {
      if (group.length === 0) return [];
      ctx.log(
        `${model.id} ${phase}: ${group.length} scenario(s) x ${iterations} iterations, ${Math.min(blocks, iterations)} blocks each`,
      );
      const started = Date.now();
      const { results: samples, machine } = await measureInterleaved(group, {
        iterations,
        blocks,
        warmup: warmupFor(iterations),
        blockWarmup: BLOCK_WARMUP[model.weights],
        switchPauseMs: SWITCH_PAUSE_MS,
        onBlock: (r, n) =>
          ctx.log(`${model.id} ${phase}: block ${r}/${n} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
      });
      logMachine(ctx, `${model.id} ${phase}`, machine);
      return samples.map((s) => {
        const mode = s.name === names.copy ? 'copy' : s.name === names.transfer ? 'transfer' : undefined;
        const extra = s.name === names.e2e ? { image: ctx.image.name, preset: model.preset } : {};
        return toResult(
          s,
          samples,
          { model: model.id, weights: model.weights, ...extra, ...(mode ? { mode } : {}) },
          machine,
        );
      });
    };
    // The end-to-end pipeline runs in its own phase: its decoding threads and the garbage of its tensors would
    // otherwise land on whichever contender runs next and blur the raw-vs-tachyon comparison.
    const results = await measure('run', contenders);
    if (classifier)
      results.push(
        ...(await measure('e2e', [{ name: names.e2e, call: () => classifier.classifyImage(ctx.image.bytes, 5) }])),
      );
    return { results, check };
  } finally {
    await raw.release();
    await session.close();
    await classifier?.close();
  }
}
