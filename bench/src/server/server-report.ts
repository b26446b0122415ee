import { CONTENDED_CORES } from '../cpu-watch.js';
import type { Environment } from '../environment.js';
import { median, medianCi95, round } from '../stats.js';
import { latencyTable, machineLine, type LatencyRow, type MachineDuringRun } from './bench-common.js';
import { E2E_NAMES, OVERHEAD_NAMES, type GroupResult } from './server-scenarios.js';
import { RESNET_NAMES, type ThroughputAb } from './resnet-group.js';
import { TENSOR_NAMES, TENSOR_SLACK_MS } from './tensor-group.js';

/** Issue 5's targets. */
export const SERVER_TARGETS = Object.freeze({
  servingOverheadMax: 1.5,
  e2eVsPeerMax: 1.1,
  tailMax: 1.5,
  e2eVsWorkerHandlerMax: 1.1,
  resnetVsInProcessMax: 1.1,
});

export interface PairedRatio {
  a: string;
  b: string;
  /** a p50 / b p50 over all samples. */
  ratio: number;
  /** Median over rounds of a block p50 / b block p50 (robust to drift), and its 95% interval. */
  pairedBlock: number;
  pairedBlockCi95: [number, number];
  /** a p50 - b p50, microseconds. */
  differenceUs: number;
}

export interface ServerDerived {
  overhead?: {
    /** tachyon no-op classify / plain handler doing the same work: the target. */
    vsPlainHandler: PairedRatio;
    /** tachyon no-op classify / the plain handler with tachyon's preprocessing (context: serving cost without the decoder's gain). */
    vsSamePreprocessHandler?: PairedRatio;
    /** tachyon no-op classify / plain handler answering a fixed JSON: everything tachyon adds above bare HTTP. */
    vsStaticAnswer: PairedRatio;
    /** tachyon ready route / plain ready route: the HTTP stack alone (hooks, routing, request log). */
    readyRoute: PairedRatio;
    /** Median server-side Server-Timing of the no-op calls (ms); client p50 minus its total = HTTP + client time. */
    serverTiming: Record<string, number>;
  };
  e2e?: {
    vsPeer: PairedRatio;
    /** tachyon over HTTP p99 / its own p50. */
    tail: number;
    /** The peer's own p99 / p50 in the same run: how much tail the machine itself gives. */
    peerTail: number;
    /** tachyon over HTTP / the peer with tachyon's preprocessing (context: the serving cost without the decoder's gain). */
    vsSamePreprocessPeer?: PairedRatio;
    /** tachyon in-process / peer (context). */
    inProcessVsPeer?: PairedRatio;
    /** tachyon over HTTP - tachyon in-process, microseconds: what the network hop + server add. */
    httpCostUs?: number;
    serverTiming: Record<string, number>;
    /** Issue 15 (b): tachyon over HTTP / a plain fastify handler with the same preprocessing and onnxruntime in a worker. */
    vsWorkerHandler?: PairedRatio;
    /** Issue 15 (b) context: tachyon in-process / onnxruntime in-process with the same preprocessing. */
    inProcessVsSamePreprocessPeer?: PairedRatio;
  };
  /** Issue 15 (a): the identity tensor model over KServe v2 HTTP JSON. */
  tensor?: {
    tachyonP50: number;
    plainEchoP50: number;
    workerRoundTripP50: number;
    /** plain echo p50 + worker round trip p50 + 50 µs. */
    floorP50: number;
    /** tachyon p50 - floor, microseconds (<= 0 passes). */
    overFloorUs: number;
    /** Median over rounds of tachyon block p50 - (echo + worker block p50s + 50 µs), microseconds. */
    pairedOverFloorUs: number;
    serverTiming: Record<string, number>;
  };
  /** Issue 15 (c): ResNet-50 int8 over HTTP at 1 client vs onnxruntime in process with the same preprocessing. */
  resnet?: {
    vsPeer: PairedRatio;
    /** tachyon / the faster of the two in-process peers (with and without spinning): the strictest floor. */
    vsFastestPeer: PairedRatio;
    vsPeerSpinning?: PairedRatio;
    /** The A/B of the fix at 1 client: tachyon with spinning / tachyon without (> 1: the fix helps). */
    spinningVsNot?: PairedRatio;
    inProcessVsPeer?: PairedRatio;
    serverTiming: Record<string, Record<string, number>>;
    throughput?: ThroughputAb;
  };
}

export interface ServerVerdict {
  target: 'servingOverhead' | 'e2eVsPeer' | 'e2eTail' | 'kserveTensor' | 'e2eVsWorkerHandler' | 'resnetVsInProcess';
  value: number;
  limit: number;
  pass: boolean;
  /** The paired estimate disagrees or its interval contains the limit, or other processes were busy. */
  noisy: boolean;
  why?: string;
}

function paired(rows: readonly LatencyRow[], a: string, b: string): PairedRatio {
  const ra = rows.find((r) => r.name === a)!;
  const rb = rows.find((r) => r.name === b)!;
  const perRound = ra.blockP50s.map((v, i) => v / rb.blockP50s[i]!);
  const [lo, hi] = medianCi95(perRound);
  return {
    a,
    b,
    ratio: round(ra.p50 / rb.p50, 4),
    pairedBlock: round(median(perRound), 4),
    pairedBlockCi95: [round(lo, 4), round(hi, 4)],
    differenceUs: round((ra.p50 - rb.p50) * 1000, 1),
  };
}

export function computeServerDerived(
  overhead: GroupResult | undefined,
  e2e: GroupResult | undefined,
  tensor?: GroupResult,
  resnet?: GroupResult,
  throughput?: ThroughputAb,
): ServerDerived {
  const derived: ServerDerived = {};
  if (overhead) {
    const n = OVERHEAD_NAMES;
    derived.overhead = {
      vsPlainHandler: paired(overhead.rows, n.tachyonNoop, n.plainNoop),
      ...(overhead.rows.some((r) => r.name === n.plainNoopSamePreprocess)
        ? { vsSamePreprocessHandler: paired(overhead.rows, n.tachyonNoop, n.plainNoopSamePreprocess) }
        : {}),
      vsStaticAnswer: paired(overhead.rows, n.tachyonNoop, n.plainStatic),
      readyRoute: paired(overhead.rows, n.tachyonReady, n.plainReady),
      serverTiming: overhead.serverTiming[n.tachyonNoop] ?? {},
    };
  }
  if (e2e) {
    const n = E2E_NAMES;
    const http = e2e.rows.find((r) => r.name === n.tachyonHttp)!;
    const peer = e2e.rows.find((r) => r.name === n.peer)!;
    const inProcess = e2e.rows.find((r) => r.name === n.tachyonInProcess);
    derived.e2e = {
      vsPeer: paired(e2e.rows, n.tachyonHttp, n.peer),
      tail: round(http.p99 / http.p50, 4),
      peerTail: round(peer.p99 / peer.p50, 4),
      ...(e2e.rows.some((r) => r.name === n.samePreprocessPeer)
        ? { vsSamePreprocessPeer: paired(e2e.rows, n.tachyonHttp, n.samePreprocessPeer) }
        : {}),
      ...(inProcess
        ? {
            inProcessVsPeer: paired(e2e.rows, n.tachyonInProcess, n.peer),
            httpCostUs: round((http.p50 - inProcess.p50) * 1000, 1),
          }
        : {}),
      serverTiming: e2e.serverTiming[n.tachyonHttp] ?? {},
      ...(e2e.rows.some((r) => r.name === n.plainWorker)
        ? { vsWorkerHandler: paired(e2e.rows, n.tachyonHttp, n.plainWorker) }
        : {}),
      ...(inProcess && e2e.rows.some((r) => r.name === n.samePreprocessPeer)
        ? { inProcessVsSamePreprocessPeer: paired(e2e.rows, n.tachyonInProcess, n.samePreprocessPeer) }
        : {}),
    };
  }
  if (tensor) {
    const n = TENSOR_NAMES;
    const row = (name: string) => tensor.rows.find((r) => r.name === name)!;
    const [t, e, w] = [row(n.tachyon), row(n.plainEcho), row(n.workerRoundTrip)];
    const floorP50 = e.p50 + w.p50 + TENSOR_SLACK_MS;
    const perRound = t.blockP50s.map((v, i) => (v - (e.blockP50s[i]! + w.blockP50s[i]! + TENSOR_SLACK_MS)) * 1000);
    derived.tensor = {
      tachyonP50: t.p50,
      plainEchoP50: e.p50,
      workerRoundTripP50: w.p50,
      floorP50: round(floorP50),
      overFloorUs: round((t.p50 - floorP50) * 1000, 1),
      pairedOverFloorUs: round(median(perRound), 1),
      serverTiming: tensor.serverTiming[n.tachyon] ?? {},
    };
  }
  if (resnet) {
    const n = RESNET_NAMES;
    const has = (name: string) => resnet.rows.some((r) => r.name === name);
    const p50 = (name: string) => resnet.rows.find((r) => r.name === name)!.p50;
    const fastest = has(n.peerSpinning) && p50(n.peerSpinning) < p50(n.peer) ? n.peerSpinning : n.peer;
    derived.resnet = {
      vsPeer: paired(resnet.rows, n.tachyonHttp, n.peer),
      vsFastestPeer: paired(resnet.rows, n.tachyonHttp, fastest),
      ...(has(n.peerSpinning) ? { vsPeerSpinning: paired(resnet.rows, n.tachyonHttp, n.peerSpinning) } : {}),
      ...(has(n.tachyonHttpSpinning)
        ? { spinningVsNot: paired(resnet.rows, n.tachyonHttpSpinning, n.tachyonHttp) }
        : {}),
      ...(has(n.tachyonInProcess) ? { inProcessVsPeer: paired(resnet.rows, n.tachyonInProcess, n.peer) } : {}),
      serverTiming: resnet.serverTiming,
      ...(throughput ? { throughput } : {}),
    };
  }
  return derived;
}

function contended(machine: MachineDuringRun): boolean {
  return (machine.cpu?.otherCores ?? 0) > CONTENDED_CORES || machine.contendedRoundsKept > 0;
}

function judgeRatio(
  target: ServerVerdict['target'],
  r: PairedRatio,
  limit: number,
  machine: MachineDuringRun,
): ServerVerdict {
  const pass = r.ratio <= limit;
  const reasons: string[] = [];
  if (r.pairedBlock <= limit !== pass) reasons.push(`the paired-block ratio ${r.pairedBlock} gives the other verdict`);
  if (r.pairedBlockCi95[0] <= limit && r.pairedBlockCi95[1] >= limit)
    reasons.push(`the paired 95% interval ${r.pairedBlockCi95.join('–')} contains ${limit}`);
  if (contended(machine)) reasons.push(`other processes used ${machine.cpu?.otherCores ?? '?'} cores`);
  return {
    target,
    value: r.ratio,
    limit,
    pass,
    noisy: reasons.length > 0,
    ...(reasons.length ? { why: reasons.join('; ') } : {}),
  };
}

export function evaluateServerTargets(
  derived: ServerDerived,
  overhead: GroupResult | undefined,
  e2e: GroupResult | undefined,
  tensor?: GroupResult,
  resnet?: GroupResult,
): ServerVerdict[] {
  const verdicts: ServerVerdict[] = [];
  if (derived.overhead && overhead)
    verdicts.push(
      judgeRatio(
        'servingOverhead',
        derived.overhead.vsPlainHandler,
        SERVER_TARGETS.servingOverheadMax,
        overhead.machine,
      ),
    );
  if (derived.e2e && e2e) {
    verdicts.push(judgeRatio('e2eVsPeer', derived.e2e.vsPeer, SERVER_TARGETS.e2eVsPeerMax, e2e.machine));
    const pass = derived.e2e.tail <= SERVER_TARGETS.tailMax;
    const reasons: string[] = [];
    // A tail the in-process peer shows as well is the machine's, not the server's.
    if (!pass && derived.e2e.peerTail > SERVER_TARGETS.tailMax)
      reasons.push(`the in-process peer's own p99/p50 is ${derived.e2e.peerTail}`);
    if (contended(e2e.machine)) reasons.push(`other processes used ${e2e.machine.cpu?.otherCores ?? '?'} cores`);
    verdicts.push({
      target: 'e2eTail',
      value: derived.e2e.tail,
      limit: SERVER_TARGETS.tailMax,
      pass,
      noisy: reasons.length > 0,
      ...(reasons.length ? { why: reasons.join('; ') } : {}),
    });
    if (derived.e2e.vsWorkerHandler)
      verdicts.push(
        judgeRatio(
          'e2eVsWorkerHandler',
          derived.e2e.vsWorkerHandler,
          SERVER_TARGETS.e2eVsWorkerHandlerMax,
          e2e.machine,
        ),
      );
  }
  if (derived.tensor && tensor) {
    const t = derived.tensor;
    const pass = t.overFloorUs <= 0;
    const reasons: string[] = [];
    if (t.pairedOverFloorUs <= 0 !== pass)
      reasons.push(`the paired-block margin ${t.pairedOverFloorUs} µs gives the other verdict`);
    if (contended(tensor.machine)) reasons.push(`other processes used ${tensor.machine.cpu?.otherCores ?? '?'} cores`);
    verdicts.push({
      target: 'kserveTensor',
      value: t.tachyonP50,
      limit: t.floorP50,
      pass,
      noisy: reasons.length > 0,
      ...(reasons.length ? { why: reasons.join('; ') } : {}),
    });
  }
  if (derived.resnet && resnet)
    verdicts.push(
      judgeRatio(
        'resnetVsInProcess',
        derived.resnet.vsFastestPeer,
        SERVER_TARGETS.resnetVsInProcessMax,
        resnet.machine,
      ),
    );
  return verdicts;
}

export interface ServerReport {
  environment: Environment;
  image: { name: string; path: string; width: number; height: number; tinyJpegBytes: number };
  config: Record<string, unknown>;
  notes: string[];
  checks: Record<string, unknown>;
  scenarios: LatencyRow[];
  derived: ServerDerived;
  targets: ServerVerdict[];
  durationSeconds: number;
}

const f3 = (v: number) => v.toFixed(3);
const pr = (r: PairedRatio) =>
  `${f3(r.ratio)} (paired ${f3(r.pairedBlock)}, 95% ${f3(r.pairedBlockCi95[0])}–${f3(r.pairedBlockCi95[1])}); ${r.differenceUs.toFixed(0)} µs`;
const timing = (t: Record<string, number>) =>
  Object.entries(t)
    .map(([k, v]) => `${k} ${f3(v)}`)
    .join(', ');
const LABELS: Record<ServerVerdict['target'], string> = {
  servingOverhead: '(a) tachyon no-op p50 / plain handler p50 ≤',
  e2eVsPeer: '(b) tachyon HTTP p50 / raw ORT + sharp p50 ≤',
  e2eTail: '(b) tachyon HTTP p99 / its p50 ≤',
  kserveTensor: '(15a) identity over KServe JSON, p50 ms ≤ plain echo + worker round trip + 0.05 ms',
  e2eVsWorkerHandler: '(15b) MobileNetV2 HTTP p50 / plain fastify + same preprocessing + ORT in a worker ≤',
  resnetVsInProcess: '(15c) ResNet-50 int8 HTTP p50 / ORT in process, same preprocessing (faster of spin on/off) ≤',
};

export function renderServerMarkdown(
  report: ServerReport,
  overhead: GroupResult | undefined,
  e2e: GroupResult | undefined,
  tensor?: GroupResult,
  resnet?: GroupResult,
): string {
  const out: string[] = [`Machine: ${machineLine(report.environment)}.`, ''];
  const d = report.derived;
  if (overhead && d.overhead) {
    out.push(
      `(a) serving overhead, 8x8 JPEG (${report.image.tinyJpegBytes} bytes), concurrency 1, keep-alive:`,
      '',
      latencyTable(overhead.rows),
      '',
    );
    out.push(`- tachyon no-op / plain handler (same work): ${pr(d.overhead.vsPlainHandler)}`);
    if (d.overhead.vsSamePreprocessHandler)
      out.push(
        `- tachyon no-op / the plain handler with tachyon's preprocessing (serving cost alone): ${pr(d.overhead.vsSamePreprocessHandler)}`,
      );
    out.push(`- tachyon no-op / plain fixed answer (HTTP floor): ${pr(d.overhead.vsStaticAnswer)}`);
    out.push(`- tachyon ready route / plain ready route: ${pr(d.overhead.readyRoute)}`);
    out.push(`- tachyon Server-Timing medians (ms): ${timing(d.overhead.serverTiming)}`, '');
  }
  if (e2e && d.e2e) {
    out.push(
      `(b) MobileNetV2 int8, \`${report.image.name}\` (${report.image.width}x${report.image.height}) -> top-5:`,
      '',
      latencyTable(e2e.rows),
      '',
    );
    out.push(`- tachyon over HTTP / raw ORT + sharp in-process: ${pr(d.e2e.vsPeer)}`);
    if (d.e2e.vsSamePreprocessPeer)
      out.push(
        `- tachyon over HTTP / the same peer with tachyon's preprocessing (serving cost alone): ${pr(d.e2e.vsSamePreprocessPeer)}`,
      );
    out.push(`- tachyon over HTTP p99/p50: ${f3(d.e2e.tail)}; the peer's own p99/p50: ${f3(d.e2e.peerTail)}`);
    if (d.e2e.inProcessVsPeer)
      out.push(
        `- tachyon in-process / peer: ${pr(d.e2e.inProcessVsPeer)}; HTTP hop + server: ${d.e2e.httpCostUs?.toFixed(0)} µs`,
      );
    if (d.e2e.vsWorkerHandler)
      out.push(
        `- (15b) tachyon over HTTP / plain fastify handler, same preprocessing, ORT in a worker: ${pr(d.e2e.vsWorkerHandler)}`,
      );
    if (d.e2e.inProcessVsSamePreprocessPeer)
      out.push(
        `- (15b context) tachyon in-process / ORT in-process with the same preprocessing: ${pr(d.e2e.inProcessVsSamePreprocessPeer)}`,
      );
    out.push(`- tachyon Server-Timing medians (ms): ${timing(d.e2e.serverTiming)}`, '');
  }
  if (tensor && d.tensor) {
    const t = d.tensor;
    out.push('(15a) identity FP32 [1,4] over KServe v2 HTTP JSON:', '', latencyTable(tensor.rows), '');
    out.push(
      `- floor = plain echo ${f3(t.plainEchoP50)} + worker round trip ${f3(t.workerRoundTripP50)} + 0.050 = ${f3(t.floorP50)} ms; tachyon ${f3(t.tachyonP50)} ms: ${t.overFloorUs.toFixed(0)} µs over the floor (paired by block: ${t.pairedOverFloorUs.toFixed(0)} µs)`,
    );
    out.push(`- tachyon Server-Timing medians (ms): ${timing(t.serverTiming)}`, '');
  }
  if (resnet && d.resnet) {
    const r = d.resnet;
    out.push(
      `(15c) ResNet-50 int8 (random weights), \`${report.image.name}\` -> top-5, 1 client:`,
      '',
      latencyTable(resnet.rows),
      '',
    );
    out.push(`- tachyon over HTTP / ORT in process, same preprocessing, tachyon's session options: ${pr(r.vsPeer)}`);
    if (r.vsPeerSpinning)
      out.push(`- tachyon over HTTP / the same peer with onnxruntime's default spinning: ${pr(r.vsPeerSpinning)}`);
    if (r.spinningVsNot) out.push(`- A/B, tachyon with spinning / without (1 client): ${pr(r.spinningVsNot)}`);
    if (r.inProcessVsPeer) out.push(`- tachyon in-process / peer: ${pr(r.inProcessVsPeer)}`);
    for (const [name, t] of Object.entries(r.serverTiming))
      out.push(`- Server-Timing medians of \`${name}\` (ms): ${timing(t)}`);
    if (r.throughput) {
      const tp = r.throughput;
      out.push(
        `- throughput A/B, ${tp.clients} clients closed loop, ${tp.blocks} x ${tp.blockSeconds} s blocks per side: ${tp.sides.map((s) => `\`${s.name}\` ${s.median} req/s (blocks ${s.perBlock.join(', ')}; ${s.errors} errors)`).join('; ')}`,
      );
    }
    out.push('');
  }
  out.push('| target | value | limit | verdict |', '|---|---:|---:|---|');
  for (const v of report.targets)
    out.push(
      `| ${LABELS[v.target]} | ${f3(v.value)} | ${typeof v.limit === 'number' && !Number.isInteger(v.limit * 100) ? f3(v.limit) : v.limit} | ${v.pass ? 'pass' : 'FAIL'}${v.noisy ? ` (noisy: ${v.why})` : ''} |`,
    );
  return out.join('\n');
}
