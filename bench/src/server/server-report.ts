import { CONTENDED_CORES } from '../cpu-watch.js';
import type { Environment } from '../environment.js';
import { median, medianCi95, round } from '../stats.js';
import { latencyTable, machineLine, type LatencyRow, type MachineDuringRun } from './bench-common.js';
import { E2E_NAMES, OVERHEAD_NAMES, type GroupResult } from './server-scenarios.js';

/** Issue 5's targets. */
export const SERVER_TARGETS = Object.freeze({ servingOverheadMax: 1.5, e2eVsPeerMax: 1.1, tailMax: 1.5 });

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
  };
}

export interface ServerVerdict {
  target: 'servingOverhead' | 'e2eVsPeer' | 'e2eTail';
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

export function computeServerDerived(overhead: GroupResult | undefined, e2e: GroupResult | undefined): ServerDerived {
  const derived: ServerDerived = {};
  if (overhead) {
    const n = OVERHEAD_NAMES;
    derived.overhead = {
      vsPlainHandler: paired(overhead.rows, n.tachyonNoop, n.plainNoop),
      ...(overhead.rows.some((r) => r.name === n.plainNoopSamePreprocess) ? { vsSamePreprocessHandler: paired(overhead.rows, n.tachyonNoop, n.plainNoopSamePreprocess) } : {}),
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
      ...(e2e.rows.some((r) => r.name === n.samePreprocessPeer) ? { vsSamePreprocessPeer: paired(e2e.rows, n.tachyonHttp, n.samePreprocessPeer) } : {}),
      ...(inProcess ? { inProcessVsPeer: paired(e2e.rows, n.tachyonInProcess, n.peer), httpCostUs: round((http.p50 - inProcess.p50) * 1000, 1) } : {}),
      serverTiming: e2e.serverTiming[n.tachyonHttp] ?? {},
    };
  }
  return derived;
}

function contended(machine: MachineDuringRun): boolean {
  return (machine.cpu?.otherCores ?? 0) > CONTENDED_CORES || machine.contendedRoundsKept > 0;
}

function judgeRatio(target: ServerVerdict['target'], r: PairedRatio, limit: number, machine: MachineDuringRun): ServerVerdict {
  const pass = r.ratio <= limit;
  const reasons: string[] = [];
  if (r.pairedBlock <= limit !== pass) reasons.push(`the paired-block ratio ${r.pairedBlock} gives the other verdict`);
  if (r.pairedBlockCi95[0] <= limit && r.pairedBlockCi95[1] >= limit) reasons.push(`the paired 95% interval ${r.pairedBlockCi95.join('–')} contains ${limit}`);
  if (contended(machine)) reasons.push(`other processes used ${machine.cpu?.otherCores ?? '?'} cores`);
  return { target, value: r.ratio, limit, pass, noisy: reasons.length > 0, ...(reasons.length ? { why: reasons.join('; ') } : {}) };
}

export function evaluateServerTargets(derived: ServerDerived, overhead: GroupResult | undefined, e2e: GroupResult | undefined): ServerVerdict[] {
  const verdicts: ServerVerdict[] = [];
  if (derived.overhead && overhead) verdicts.push(judgeRatio('servingOverhead', derived.overhead.vsPlainHandler, SERVER_TARGETS.servingOverheadMax, overhead.machine));
  if (derived.e2e && e2e) {
    verdicts.push(judgeRatio('e2eVsPeer', derived.e2e.vsPeer, SERVER_TARGETS.e2eVsPeerMax, e2e.machine));
    const pass = derived.e2e.tail <= SERVER_TARGETS.tailMax;
    const reasons: string[] = [];
    // A tail the in-process peer shows as well is the machine's, not the server's.
    if (!pass && derived.e2e.peerTail > SERVER_TARGETS.tailMax) reasons.push(`the in-process peer's own p99/p50 is ${derived.e2e.peerTail}`);
    if (contended(e2e.machine)) reasons.push(`other processes used ${e2e.machine.cpu?.otherCores ?? '?'} cores`);
    verdicts.push({ target: 'e2eTail', value: derived.e2e.tail, limit: SERVER_TARGETS.tailMax, pass, noisy: reasons.length > 0, ...(reasons.length ? { why: reasons.join('; ') } : {}) });
  }
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
const pr = (r: PairedRatio) => `${f3(r.ratio)} (paired ${f3(r.pairedBlock)}, 95% ${f3(r.pairedBlockCi95[0])}–${f3(r.pairedBlockCi95[1])}); ${r.differenceUs.toFixed(0)} µs`;
const timing = (t: Record<string, number>) => Object.entries(t).map(([k, v]) => `${k} ${f3(v)}`).join(', ');
const LABELS: Record<ServerVerdict['target'], string> = {
  servingOverhead: '(a) tachyon no-op p50 / plain handler p50 ≤',
  e2eVsPeer: '(b) tachyon HTTP p50 / raw ORT + sharp p50 ≤',
  e2eTail: '(b) tachyon HTTP p99 / its p50 ≤',
};

export function renderServerMarkdown(report: ServerReport, overhead: GroupResult | undefined, e2e: GroupResult | undefined): string {
  const out: string[] = [`Machine: ${machineLine(report.environment)}.`, ''];
  const d = report.derived;
  if (overhead && d.overhead) {
    out.push(`(a) serving overhead, 8x8 JPEG (${report.image.tinyJpegBytes} bytes), concurrency 1, keep-alive:`, '', latencyTable(overhead.rows), '');
    out.push(`- tachyon no-op / plain handler (same work): ${pr(d.overhead.vsPlainHandler)}`);
    if (d.overhead.vsSamePreprocessHandler) out.push(`- tachyon no-op / the plain handler with tachyon's preprocessing (serving cost alone): ${pr(d.overhead.vsSamePreprocessHandler)}`);
    out.push(`- tachyon no-op / plain fixed answer (HTTP floor): ${pr(d.overhead.vsStaticAnswer)}`);
    out.push(`- tachyon ready route / plain ready route: ${pr(d.overhead.readyRoute)}`);
    out.push(`- tachyon Server-Timing medians (ms): ${timing(d.overhead.serverTiming)}`, '');
  }
  if (e2e && d.e2e) {
    out.push(`(b) MobileNetV2 int8, \`${report.image.name}\` (${report.image.width}x${report.image.height}) -> top-5:`, '', latencyTable(e2e.rows), '');
    out.push(`- tachyon over HTTP / raw ORT + sharp in-process: ${pr(d.e2e.vsPeer)}`);
    if (d.e2e.vsSamePreprocessPeer) out.push(`- tachyon over HTTP / the same peer with tachyon's preprocessing (serving cost alone): ${pr(d.e2e.vsSamePreprocessPeer)}`);
    out.push(`- tachyon over HTTP p99/p50: ${f3(d.e2e.tail)}; the peer's own p99/p50: ${f3(d.e2e.peerTail)}`);
    if (d.e2e.inProcessVsPeer) out.push(`- tachyon in-process / peer: ${pr(d.e2e.inProcessVsPeer)}; HTTP hop + server: ${d.e2e.httpCostUs?.toFixed(0)} µs`);
    out.push(`- tachyon Server-Timing medians (ms): ${timing(d.e2e.serverTiming)}`, '');
  }
  out.push('| target | value | limit | verdict |', '|---|---:|---:|---|');
  for (const v of report.targets) out.push(`| ${LABELS[v.target]} | ${f3(v.value)} | ${v.limit} | ${v.pass ? 'pass' : 'FAIL'}${v.noisy ? ` (noisy: ${v.why})` : ''} |`);
  return out.join('\n');
}
