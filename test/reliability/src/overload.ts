// Overload: measure what one server process sustains (closed loop), then offer twice that in an open loop for a
// fixed time with a deadline on every request. Excess must be shed (429 TCH_ERR_QUEUE_FULL), accepted requests
// must finish within their deadline or get 504, the process must survive with bounded memory and be healthy at once.
import { LoadTarget, type LoadResult } from '@tachyon-serve/bench/dist/src/scheduling/load-generator.js';
import type { CheckList } from './check.js';
import { call, closeTarget, type Target } from './http-call.js';
import { ORANGE, sampleImage } from './paths.js';
import { servesGoodRequest } from './run-corpus.js';
import { RssSampler } from './rss-sampler.js';
import { ServeProcess } from './server-process.js';

export interface OverloadOptions {
  workDir: string;
  /** Seconds of 2x overload. */
  seconds: number;
  /** Seconds of the closed-loop capacity measurement. */
  measureSeconds: number;
  /** Deadline sent with every overload request (`x-request-timeout-ms`). @default 400 */
  deadlineMs?: number;
  /** Closed-loop clients for the capacity measurement. @default 16 */
  concurrency?: number;
}

export interface OverloadSummary {
  capacityRps: number;
  offeredRps: number;
  seconds: number;
  deadlineMs: number;
  sent: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
  unanswered: number;
  /** 200 answers slower than the deadline + 20 % as the load generator measured them (its own delays included). */
  late200: number;
  /** Probe requests sent beside the load, whose answers carry the server's own timing. */
  probes: number;
  /** Probe 200s whose Server-Timing `total` (from the headers' arrival) exceeds the deadline by more than 5 %. */
  probeLateServer: number;
  /** Probe 200s over the deadline at all (by up to 5 %: the answer's own post-processing and timer lateness). */
  probeOverDeadline: number;
  probeMaxServerMs: number;
  probeMaxClientMs: number;
  okP50Ms: number;
  okP99Ms: number;
  okMaxMs: number;
  warmRssBytes: number;
  peakRssBytes: number;
  alive: boolean;
  healthyAfter: boolean;
  healthyAfterMs: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function runOverload(options: OverloadOptions, checks: CheckList): Promise<OverloadSummary | undefined> {
  const deadlineMs = options.deadlineMs ?? 400;
  const concurrency = options.concurrency ?? 16;
  const server = await ServeProcess.start({
    cwd: options.workDir,
    args: ['--model', 'mnv2=mobilenetv2-int8', '--workers', '1'],
  });
  const key = server.ready.keys!.primary;
  const path = '/v1/services/mnv2/classify';
  const image = sampleImage(ORANGE.file);
  const rss = new RssSampler(server.pid, 200);
  const measure = new LoadTarget(server.ready.http, { authorization: `Bearer ${key}` }, concurrency);
  // Enough connections that the client never queues requests itself: every request is on the wire when it is due.
  const overload = new LoadTarget(
    server.ready.http,
    { authorization: `Bearer ${key}`, 'x-request-timeout-ms': String(deadlineMs) },
    256,
  );
  // One agent (keep-alive connections) for the probes and the health checks.
  const probeTarget: Target = { origin: server.ready.http };
  let summary: OverloadSummary | undefined;
  try {
    await measure.closedLoop(path, image, concurrency, 4); // warm-up
    const first = await measure.closedLoop(path, image, concurrency, 4);
    const probeRps = first.okMs.length / first.seconds;
    const perClient = Math.max(4, Math.round((probeRps * options.measureSeconds) / concurrency));
    const capacity = await measure.closedLoop(path, image, concurrency, perClient);
    const capacityRps = capacity.okMs.length / capacity.seconds;
    rss.reset();
    const warmRssBytes = rss.summary().firstBytes;
    const offeredRps = 2 * capacityRps;
    const load = overload.openLoop(path, image, offeredRps, options.seconds);
    const probing = probe(probeTarget, key, path, image, deadlineMs, load);
    const result: LoadResult = await load;
    const probes = await probing;
    const t0 = performance.now();
    const ready = await call(probeTarget, '/v2/health/ready').then(
      (a) => a.status === 200,
      () => false,
    );
    const healthyAfter = ready && (await servesGoodRequest(probeTarget, 'mnv2', key));
    const healthyAfterMs = Math.round(performance.now() - t0);
    const peakRssBytes = rss.stop().peakBytes;
    const ok = [...result.okMs].sort((a, b) => a - b);
    const sent = Math.round(offeredRps * options.seconds);
    const answered = Object.values(result.statuses).reduce((s, n) => s + n, 0);
    summary = {
      capacityRps: Math.round(capacityRps * 10) / 10,
      offeredRps: Math.round(offeredRps * 10) / 10,
      seconds: options.seconds,
      deadlineMs,
      sent,
      statuses: result.statuses,
      codes: result.codes,
      unanswered: sent - answered,
      late200: ok.filter((ms) => ms > deadlineMs * 1.2).length,
      probes: probes.length,
      probeLateServer: probes.filter((p) => p.status === 200 && p.serverMs > deadlineMs * 1.05).length,
      probeOverDeadline: probes.filter((p) => p.status === 200 && p.serverMs > deadlineMs).length,
      probeMaxServerMs: Math.round(Math.max(0, ...probes.filter((p) => p.status === 200).map((p) => p.serverMs))),
      probeMaxClientMs: Math.round(Math.max(0, ...probes.filter((p) => p.status === 200).map((p) => p.clientMs))),
      okP50Ms: Math.round(quantile(ok, 0.5)),
      okP99Ms: Math.round(quantile(ok, 0.99)),
      okMaxMs: Math.round(ok.at(-1) ?? 0),
      warmRssBytes,
      peakRssBytes,
      alive: server.alive,
      healthyAfter,
      healthyAfterMs,
    };
    report(summary, checks);
  } finally {
    await Promise.allSettled([measure.close(), overload.close(), closeTarget(probeTarget)]);
    rss.stop();
    await server.stop();
  }
  return summary;
}

interface Probe {
  status: number;
  serverMs: number;
  clientMs: number;
}

/** One request every 50 ms while `until` runs, reading Server-Timing `total` (the server's clock) from each 200. */
async function probe(
  target: Target,
  key: string,
  path: string,
  image: Buffer,
  deadlineMs: number,
  until: Promise<unknown>,
): Promise<Probe[]> {
  let done = false;
  void until.finally(() => (done = true));
  const probes: Promise<Probe | undefined>[] = [];
  while (!done) {
    const started = performance.now();
    probes.push(
      call(target, path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'image/jpeg',
          'x-request-timeout-ms': String(deadlineMs),
        },
        body: image,
      }).then(
        (a) => {
          const total = /total;dur=([\d.]+)/.exec(String(a.headers['server-timing'] ?? ''))?.[1];
          return {
            status: a.status,
            serverMs: total === undefined ? 0 : Number(total),
            clientMs: performance.now() - started,
          };
        },
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  return (await Promise.all(probes)).filter((p): p is Probe => p !== undefined);
}

function report(s: OverloadSummary, checks: CheckList): void {
  const only = Object.keys(s.statuses).every((status) => ['200', '429', '504'].includes(status));
  const codesOk = Object.keys(s.codes).every((c) => c === 'TCH_ERR_QUEUE_FULL' || c === 'TCH_ERR_DEADLINE_EXCEEDED');
  const shed = s.statuses['429'] ?? 0;
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  checks.check(
    'overload-shed',
    `2x measured capacity (${s.offeredRps} req/s vs ${s.capacityRps}) for ${s.seconds} s, deadline ${s.deadlineMs} ms`,
    'excess shed with 429 TCH_ERR_QUEUE_FULL; every answer is 200, 429 or 504; none lost',
    `${JSON.stringify(s.statuses)} ${JSON.stringify(s.codes)}; ${s.unanswered} unanswered of ${s.sent}`,
    only && codesOk && shed > 0 && s.unanswered === 0,
  );
  checks.check(
    'overload-deadline',
    'accepted requests meet their deadline or get 504',
    `every 200 within the deadline (+5 % for its post-processing) on the server's clock (Server-Timing total of ${s.probes} probes sent beside the load), else 504 TCH_ERR_DEADLINE_EXCEEDED`,
    `probes: slowest 200 took ${s.probeMaxServerMs} ms on the server (${s.probeMaxClientMs} ms at the client); ${s.probeOverDeadline} over the deadline, ${s.probeLateServer} by more than 5 %; ` +
      `load generator (client clock, shares the CPU): 200s p50 ${s.okP50Ms} ms, p99 ${s.okP99Ms} ms, max ${s.okMaxMs} ms, ${s.late200} over deadline +20 %; 504s: ${s.statuses['504'] ?? 0}`,
    s.probes > 0 && s.probeLateServer === 0,
  );
  checks.check(
    'overload-survives',
    'no crash, bounded memory, healthy right after',
    'the process is alive, peak RSS at most 2x its warm RSS, ready and classifying at once after the load stops',
    `alive: ${s.alive}; RSS warm ${mib(s.warmRssBytes)}, peak ${mib(s.peakRssBytes)}; ready and correct ${s.healthyAfterMs} ms after the load: ${s.healthyAfter}`,
    s.alive && s.peakRssBytes <= 2 * s.warmRssBytes && s.healthyAfter,
    { peakRssBytes: s.peakRssBytes, warmRssBytes: s.warmRssBytes },
  );
}
