import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Above this many cores used by other processes, a measurement window is called contended. */
export const CONTENDED_CORES = 0.25;

/** What the machine did while one group of scenarios was measured (Linux /proc/stat; undefined elsewhere). */
export interface CpuWindow {
  seconds: number;
  /** Cores kept busy by this process (all its threads). */
  ownCores: number;
  /** Cores kept busy by everything else on the machine: well above 0 means the numbers of this window are contended. */
  otherCores: number;
  /** Share of time the hypervisor gave this VM's CPUs to someone else (%). */
  stealPct: number;
}

interface CpuTimes {
  busy: number;
  steal: number;
  total: number;
}

function readCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return {
      busy: user + nice + system + irq + softirq,
      steal,
      total: user + nice + system + idle + iowait + irq + softirq + steal,
    };
  } catch {
    return undefined;
  }
}

/** Starts a window; the returned function ends it. */
export function startCpuWatch(): () => CpuWindow | undefined {
  const t0 = process.hrtime.bigint();
  const own0 = process.cpuUsage();
  const cpu0 = readCpuTimes();
  return () => {
    const cpu1 = readCpuTimes();
    if (!cpu0 || !cpu1) return undefined;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const own = process.cpuUsage(own0);
    const total = cpu1.total - cpu0.total;
    if (total <= 0 || seconds <= 0) return undefined;
    const cores = cpus().length;
    const busyCores = ((cpu1.busy - cpu0.busy) / total) * cores;
    const ownCores = (own.user + own.system) / 1e6 / seconds;
    // Unrounded: /proc/stat counts in 10 ms ticks, so a short window is coarse; callers merge windows, then round.
    return {
      seconds,
      ownCores,
      otherCores: Math.max(0, busyCores - ownCores),
      stealPct: ((cpu1.steal - cpu0.steal) / total) * 100,
    };
  };
}
