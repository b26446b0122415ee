// measureInterleaved (../measure.ts) for a client/server benchmark: the CPU of the server child process counts as
// the benchmark's own and not as "other processes" (otherwise every HTTP round would look contended).
import { readFileSync } from 'node:fs';
import { startCpuWatch, type CpuWindow } from '../cpu-watch.js';
import {
  measureInterleaved,
  type Contender,
  type ContenderSamples,
  type InterleaveOptions,
  type MeasureMachine,
} from '../measure.js';

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

function childrenCpuSeconds(pids: readonly number[]): number | undefined {
  let sum = 0;
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s === undefined) return undefined;
    sum += s;
  }
  return sum;
}

/** A cpu-watch window in which the CPU of `childPid` (one server child or several) is moved from otherCores to ownCores. */
export function startCpuWatchWithChild(childPid: number | readonly number[] | undefined): () => CpuWindow | undefined {
  const stop = startCpuWatch();
  const pids = childPid === undefined ? [] : typeof childPid === 'number' ? [childPid] : childPid;
  const child0 = pids.length === 0 ? undefined : childrenCpuSeconds(pids);
  return () => {
    const window = stop();
    if (!window || child0 === undefined) return window;
    const child1 = childrenCpuSeconds(pids);
    if (child1 === undefined) return window;
    const childCores = (child1 - child0) / window.seconds;
    return {
      ...window,
      ownCores: window.ownCores + childCores,
      otherCores: Math.max(0, window.otherCores - childCores),
    };
  };
}

/** measureInterleaved with `childPid` (the server process) counted as the benchmark's own CPU. */
export async function measureInterleavedWithChild(
  contenders: readonly Contender[],
  options: InterleaveOptions,
  childPid: number | readonly number[] | undefined,
): Promise<{ results: ContenderSamples[]; machine: MeasureMachine }> {
  return measureInterleaved(contenders, { ...options, startWatch: () => startCpuWatchWithChild(childPid) });
}
