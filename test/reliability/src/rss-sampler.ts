// Resident memory of a process, sampled from /proc/<pid>/status (VmRSS) on an interval.
import { readFileSync } from 'node:fs';

/** VmRSS of `pid` in bytes, or undefined when the process is gone (or /proc is missing). */
export function readRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSummary {
  /** Largest sample, bytes. */
  peakBytes: number;
  /** First sample, bytes. */
  firstBytes: number;
  /** Last sample, bytes. */
  lastBytes: number;
  samples: number;
}

/** Samples `pid` every `intervalMs` until `stop()`; the summary covers every sample taken. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #samples: number[] = [];

  constructor(pid: number, intervalMs = 200) {
    this.#pid = pid;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  #sample(): void {
    const rss = readRssBytes(this.#pid);
    if (rss !== undefined) this.#samples.push(rss);
  }

  /** The samples so far, without stopping. */
  summary(): RssSummary {
    const s = this.#samples;
    return {
      peakBytes: s.length === 0 ? 0 : Math.max(...s),
      firstBytes: s[0] ?? 0,
      lastBytes: s.at(-1) ?? 0,
      samples: s.length,
    };
  }

  /** Restarts the summary from now (e.g. after warm-up). */
  reset(): void {
    this.#samples = [];
    this.#sample();
  }

  stop(): RssSummary {
    clearInterval(this.#timer);
    this.#sample();
    return this.summary();
  }
}
