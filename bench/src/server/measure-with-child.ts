// measureInterleaved (../measure.ts) for a client/server benchmark: the same alternating blocks, block warm-up, switch
// pause and contention guard, except that the CPU of the server child process counts as the benchmark's own and not
// as "other processes" (the foundation's guard only knows this process, so every HTTP round would look contended).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTENDED_CORES, startCpuWatch, type CpuWindow } from '../cpu-watch.js';
import type { Contender, ContenderSamples, InterleaveOptions, MeasureMachine } from '../measure.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux for every architecture tachyon runs on). */
const USER_HZ = 100;

/** utime + stime of a process in seconds (all its threads), or undefined when /proc cannot be read. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based); comm may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** A cpu-watch window in which `childPid`'s CPU is moved from otherCores to ownCores. */
export function startCpuWatchWithChild(childPid: number | undefined): () => CpuWindow | undefined {
  const stop = startCpuWatch();
  const child0 = childPid === undefined ? undefined : processCpuSeconds(childPid);
  return () => {
    const window = stop();
    if (!window || childPid === undefined || child0 === undefined) return window;
    const child1 = processCpuSeconds(childPid);
    if (child1 === undefined) return window;
    const childCores = (child1 - child0) / window.seconds;
    return { ...window, ownCores: window.ownCores + childCores, otherCores: Math.max(0, window.otherCores - childCores) };
  };
}

function blockMedian(block: number[]): number {
  const sorted = [...block].sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
}

/** Same contract and defaults as measureInterleaved; `childPid` is the server process whose CPU is ours. */
export async function measureInterleavedWithChild(
  contenders: readonly Contender[],
  options: InterleaveOptions,
  childPid: number | undefined,
): Promise<{ results: ContenderSamples[]; machine: MeasureMachine }> {
  const { iterations, warmup } = options;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations: expected an integer >= 1, got ${iterations}`);
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
      const stop = startCpuWatchWithChild(childPid);
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
  return { results, machine: { ...(kept.length > 0 ? { cpu: mergeWindows(kept) } : {}), retriedRounds, contendedRoundsKept } };
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
