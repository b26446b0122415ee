import { setTimeout as sleep } from 'node:timers/promises';
import { CONTENDED_CORES, startCpuWatch, type CpuWindow } from './cpu-watch.js';

/** One side of an interleaved measurement. */
export interface Contender {
  name: string;
  /** Untimed work before each timed call (e.g. a fresh copy of an input that the call will transfer). */
  prepare?: () => void;
  call: () => Promise<unknown>;
}

export interface InterleaveOptions {
  /** Timed calls per contender. */
  iterations: number;
  /** Blocks per contender; contenders take turns block by block. */
  blocks: number;
  /** Untimed calls per contender before the first block. */
  warmup: number;
  /**
   * Untimed calls at the start of every block: onnxruntime's intra-op threads spin for a while after a run before
   * they sleep, so the first call after a switch would pay for the previous contender's spinning pool. @default 2
   */
  blockWarmup?: number;
  /**
   * Pause (ms) before each block when there are several contenders. An onnxruntime session's idle intra-op threads
   * keep spinning for a while after its last run; with two sessions of `cores` threads each on the same cores, a
   * block started right after a switch runs against them (measured here: p90 about 3x p50 for both sides without
   * the pause, close to p50 with 50 ms). @default 0
   */
  switchPauseMs?: number;
  /**
   * Times a round (one block of every contender) is measured again when other processes used more than
   * CONTENDED_CORES cores during it; after that the contended round is kept and counted. @default 2
   */
  maxRetriesPerRound?: number;
  /** Retries in all, so that a machine busy for good adds at most a quarter to the run time. @default blocks / 4, rounded up */
  maxRetries?: number;
  onBlock?: (round: number, rounds: number) => void;
  /** Starts a CPU window for the contention guard. @default startCpuWatch (this process's CPU is its own) */
  startWatch?: () => () => CpuWindow | undefined;
}

/** The machine during the kept rounds of one measurement, and how many rounds other processes spoiled. */
export interface MeasureMachine {
  /** CPU used by other processes during the kept rounds (cores), time-weighted; undefined off Linux. */
  cpu?: CpuWindow;
  /** Rounds thrown away and measured again because other processes were busy. */
  retriedRounds: number;
  /** Rounds kept although still contended after maxRetriesPerRound retries. */
  contendedRoundsKept: number;
}

export interface ContenderSamples {
  name: string;
  /** Milliseconds, in measurement order. */
  samples: number[];
  /** Each block's own median (ms): the spread between them shows how much the machine drifted during the run. */
  blockP50s: number[];
}

function blockMedian(block: number[]): number {
  const sorted = [...block].sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
}

/**
 * Measures contenders one call at a time (never two at once), in alternating blocks so that a slow phase of a
 * shared machine hits every contender alike. The starting contender rotates each round so none is always the one
 * that runs right after another's thread pool went idle. A round during which other processes took CPU is measured
 * again (after a short pause), so the samples kept are those of a machine running this benchmark alone.
 */
export async function measureInterleaved(
  contenders: readonly Contender[],
  options: InterleaveOptions,
): Promise<{ results: ContenderSamples[]; machine: MeasureMachine }> {
  const { iterations, warmup } = options;
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new RangeError(`iterations: expected an integer >= 1, got ${iterations}`);
  const blocks = Math.max(1, Math.min(options.blocks, iterations));
  const maxRetriesPerRound = options.maxRetriesPerRound ?? 2;
  const maxRetries = options.maxRetries ?? Math.ceil(blocks / 4);
  const results = contenders.map((c) => ({ name: c.name, samples: [] as number[], blockP50s: [] as number[] }));
  const kept: CpuWindow[] = [];
  let retriedRounds = 0;
  let contendedRoundsKept = 0;

  for (const c of contenders) {
    for (let i = 0; i < warmup; i++) {
      c.prepare?.();
      await c.call();
    }
  }
  for (let round = 0; round < blocks; round++) {
    const size = Math.floor(((round + 1) * iterations) / blocks) - Math.floor((round * iterations) / blocks);
    for (let attempt = 0; ; attempt++) {
      const stop = (options.startWatch ?? startCpuWatch)();
      const roundBlocks: number[][] = contenders.map(() => []);
      for (let k = 0; k < contenders.length; k++) {
        const index = (round + k) % contenders.length;
        const c = contenders[index]!;
        const block = roundBlocks[index]!;
        if (options.switchPauseMs && contenders.length > 1) await sleep(options.switchPauseMs);
        for (let i = 0; i < (options.blockWarmup ?? 2); i++) {
          c.prepare?.();
          await c.call();
        }
        for (let i = 0; i < size; i++) {
          c.prepare?.();
          const start = process.hrtime.bigint();
          await c.call();
          block.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
      }
      const window = stop();
      const contended = window !== undefined && window.otherCores > CONTENDED_CORES;
      if (contended && attempt < maxRetriesPerRound && retriedRounds < maxRetries) {
        retriedRounds++;
        await sleep(250);
        continue;
      }
      if (contended) contendedRoundsKept++;
      if (window) kept.push(window);
      roundBlocks.forEach((block, index) => {
        results[index]!.samples.push(...block);
        results[index]!.blockP50s.push(blockMedian(block));
      });
      break;
    }
    options.onBlock?.(round + 1, blocks);
  }
  return {
    results,
    machine: { ...(kept.length > 0 ? { cpu: mergeWindows(kept) } : {}), retriedRounds, contendedRoundsKept },
  };
}

function mergeWindows(windows: readonly CpuWindow[]): CpuWindow {
  const seconds = windows.reduce((s, w) => s + w.seconds, 0);
  const weighted = (pick: (w: CpuWindow) => number) => windows.reduce((s, w) => s + pick(w) * w.seconds, 0) / seconds;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    seconds: Math.round(seconds * 10) / 10,
    ownCores: r2(weighted((w) => w.ownCores)),
    otherCores: r2(weighted((w) => w.otherCores)),
    stealPct: Math.round(weighted((w) => w.stealPct) * 10) / 10,
  };
}
