// Closed-loop load (N clients, each sending its next request when its last one answered) over several peers,
// interleaved round by round so that a slow phase of the shared machine hits every peer alike. The CPU of the
// server child processes counts as the benchmark's own; what other processes used is reported per peer.
import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuWatch } from '../cpu-watch.js';
import { processCpuSeconds } from '../server/measure-with-child.js';

export interface LoadPeer {
  name: string;
  call: () => Promise<void>;
}

export interface LoadSamples {
  name: string;
  concurrency: number;
  /** Latency of each successful request, ms, in completion order. */
  okMs: number[];
  errors: number;
  /** The first few error messages (one line each). */
  errorMessages: string[];
  /** Wall time of the timed bursts, summed over rounds. */
  seconds: number;
  /** CPU of other processes during this peer's bursts (cores, time-weighted); undefined off Linux. */
  otherCores: number | undefined;
}

/** One burst: `concurrency` loops sharing `total` requests. Errors are counted, never thrown. */
export async function closedLoop(
  call: () => Promise<void>,
  concurrency: number,
  total: number,
  into: LoadSamples,
): Promise<number> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency: expected an integer >= 1, got ${concurrency}`);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = process.hrtime.bigint();
        try {
          await call();
          into.okMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch (error) {
          into.errors++;
          if (into.errorMessages.length < 5)
            into.errorMessages.push(
              (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200),
            );
        }
      }
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export interface InterleaveLoadOptions {
  concurrency: number;
  /** Timed requests per peer, split over the rounds. */
  requests: number;
  rounds: number;
  /** Pause before each burst: idle onnxruntime pools of the previous peer stop spinning (see ../measure.ts). @default 100 */
  pauseMs?: number;
  /** Processes whose CPU is the benchmark's own (server children). */
  childPids?: readonly number[];
  onRound?: (round: number, rounds: number) => void;
}

/**
 * Every peer at one concurrency; the starting peer rotates each round. Each burst starts with untimed calls: a full
 * burst of `concurrency` in the first round, then 2.
 */
export async function measurePeersAtConcurrency(
  peers: readonly LoadPeer[],
  options: InterleaveLoadOptions,
): Promise<LoadSamples[]> {
  const { concurrency, requests } = options;
  const rounds = Math.max(1, Math.min(options.rounds, Math.floor(requests / concurrency) || 1));
  const results = peers.map(
    (p): LoadSamples => ({
      name: p.name,
      concurrency,
      okMs: [],
      errors: 0,
      errorMessages: [],
      seconds: 0,
      otherCores: undefined,
    }),
  );
  const other = peers.map(() => ({ coreSeconds: 0, seconds: 0 }));
  for (let round = 0; round < rounds; round++) {
    const size = Math.floor(((round + 1) * requests) / rounds) - Math.floor((round * requests) / rounds);
    for (let k = 0; k < peers.length; k++) {
      const index = (round + k) % peers.length;
      const peer = peers[index]!;
      await sleep(options.pauseMs ?? 100);
      const warm: LoadSamples = { ...results[index]!, okMs: [], errors: 0, errorMessages: [] };
      // A full burst warms connections and pools once; later rounds only need the peer's threads awake again.
      await closedLoop(
        peer.call,
        round === 0 ? concurrency : Math.min(concurrency, 2),
        round === 0 ? concurrency : Math.min(concurrency, 2),
        warm,
      );
      const stop = startCpuWatch();
      const child0 = (options.childPids ?? []).map((pid) => processCpuSeconds(pid) ?? 0);
      results[index]!.seconds += await closedLoop(peer.call, concurrency, size, results[index]!);
      const window = stop();
      if (window) {
        const childCores =
          (options.childPids ?? []).reduce(
            (s, pid, i) => s + ((processCpuSeconds(pid) ?? child0[i]!) - child0[i]!),
            0,
          ) / window.seconds;
        other[index]!.coreSeconds += Math.max(0, window.otherCores - childCores) * window.seconds;
        other[index]!.seconds += window.seconds;
      }
    }
    options.onRound?.(round + 1, rounds);
  }
  results.forEach((r, i) => {
    if (other[i]!.seconds > 0) r.otherCores = Math.round((other[i]!.coreSeconds / other[i]!.seconds) * 100) / 100;
  });
  return results;
}
