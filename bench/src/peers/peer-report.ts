// The peer benchmark's JSON (one file per run of a scenario) and its markdown tables.
import type { Environment } from '../environment.js';
import { round, summarize } from '../stats.js';
import type { LoadSamples } from './closed-loop.js';
import { describePeak, type CpuPeak } from './cpu-peak.js';
import type { PeerName } from './peer-clients.js';

export const PEER_REPORT_SCHEMA = 'tachyon-bench-peers/1';

export interface PeerRow {
  model: string;
  peer: PeerName;
  concurrency: number;
  /** Successful requests timed. */
  requests: number;
  errors: number;
  errorMessages?: string[];
  /** Latency per request, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Successful requests per second over the timed bursts. */
  throughput: number;
  /** CPU used by processes outside the benchmark during this peer's bursts (cores). */
  otherCores?: number;
  /** 2 x MACs x throughput: operations per second achieved end to end (decode and HTTP included). */
  achievedGops: number;
  /** achievedGops over this CPU's peak for the model's dtype. */
  peakFraction: number;
}

export interface ModelInfo {
  id: string;
  dtype: 'fp32' | 'int8';
  weights: 'real' | 'random';
  origin: string;
  file: string;
  macs: number;
  macNodes: Record<string, number>;
  pytorch: { arch: string; dtype: 'fp32' | 'int8'; weights: string; server: Record<string, unknown> };
  /** PyTorch's logits vs onnxruntime's on the same preprocessed tensor: same weights => small difference, same top-1. */
  weightCheck?: { maxAbsDiff: number; top1Equal: boolean; sameWeights: boolean };
  /** tachyon's own Server-Timing at 1 client (raw route): the model's compute time alone, against the peak. */
  tachyonCompute?: {
    computeP50Ms: number;
    totalP50Ms: number;
    meanBatchRows: number;
    achievedGops: number;
    peakFraction: number;
  };
}

export interface PeerReport {
  schema: typeof PEER_REPORT_SCHEMA;
  scenario: string;
  tier: 'quick' | 'full';
  environment: Environment;
  cpuPeak: CpuPeak;
  config: Record<string, unknown>;
  notes: string[];
  models: ModelInfo[];
  rows: PeerRow[];
  durationSeconds: number;
}

export function toPeerRow(model: string, s: LoadSamples, macs: number, peakOpsPerSecond: number): PeerRow {
  const sum = s.okMs.length > 0 ? summarize(s.okMs) : undefined;
  const throughput = s.seconds > 0 ? s.okMs.length / s.seconds : 0;
  const achieved = (2 * macs * throughput) / 1e9;
  return {
    model,
    peer: s.name as PeerName,
    concurrency: s.concurrency,
    requests: s.okMs.length,
    errors: s.errors,
    ...(s.errorMessages.length > 0 ? { errorMessages: s.errorMessages } : {}),
    p50: round(sum?.p50 ?? NaN),
    p90: round(sum?.p90 ?? NaN),
    p99: round(sum?.p99 ?? NaN),
    max: round(sum?.max ?? NaN),
    mean: round(sum?.mean ?? NaN),
    throughput: round(throughput, 2),
    ...(s.otherCores === undefined ? {} : { otherCores: s.otherCores }),
    achievedGops: round(achieved, 2),
    peakFraction: round((achieved * 1e9) / peakOpsPerSecond, 5),
  };
}

const num = (v: number) =>
  !Number.isFinite(v) ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const pct = (f: number) => `${(f * 100).toFixed(f < 0.01 ? 2 : 1)}%`;

/**
 * Whether the machine was busy with other work: the tables then say "measured under load". The load average at the
 * start counts; the one at the end does not, since the benchmark's own load is in it (on 2 cores a run always ends
 * above 1.5); during the run, other processes' CPU (`otherCores`, the benchmark and its servers excluded) counts.
 */
export function underLoad(report: Pick<PeerReport, 'environment' | 'rows'>): boolean {
  const e = report.environment;
  return e.loadAverage1m > e.cores * 0.75 || report.rows.some((r) => (r.otherCores ?? 0) > 0.25);
}

export function machineSummary(report: PeerReport): string {
  const e = report.environment;
  return (
    `${e.date.slice(0, 16).replace('T', ' ')} UTC, git ${e.gitSha.slice(0, 7)}${e.gitDirty ? ' (dirty tree)' : ''}; ${e.cpuModel}, ${e.cores} cores, ${e.memoryGiB} GiB, ${e.os}; ` +
    `node ${e.node}, onnxruntime-node ${e.onnxruntimeNode}, sharp ${e.sharp}; 1-min load average ${e.loadAverage1m} at start, ${e.loadAverage1mEnd ?? '?'} at end` +
    (underLoad(report)
      ? ' — **measured under load** (other work was running on the machine: absolute numbers are inflated, the peers shared the same conditions)'
      : '')
  );
}

/** Claims derived from this run only: tachyon against the peers measured beside it. */
export function claimsFor(report: PeerReport, model: string): string[] {
  const rows = report.rows.filter((r) => r.model === model);
  const out: string[] = [];
  for (const c of [...new Set(rows.map((r) => r.concurrency))].sort((a, b) => a - b)) {
    const at = rows.filter((r) => r.concurrency === c && r.requests > 0);
    const tachyon = at.filter((r) => r.peer.startsWith('tachyon-')).sort((a, b) => a.p50 - b.p50)[0];
    const torch = at.find((r) => r.peer === 'pytorch-fastapi');
    const raw = at.find((r) => r.peer === 'raw-ort-sharp');
    if (!tachyon) continue;
    const parts = [
      `${c} client${c > 1 ? 's' : ''}: fastest tachyon protocol ${tachyon.peer} p50 ${num(tachyon.p50)} ms, ${num(tachyon.throughput)} req/s`,
    ];
    if (torch) {
      const ratio = torch.p50 / tachyon.p50;
      parts.push(
        `${ratio >= 1 ? `${ratio.toFixed(2)}x faster` : `${(1 / ratio).toFixed(2)}x slower`} than PyTorch + FastAPI at p50 (${num(torch.p50)} ms), ${(tachyon.throughput / torch.throughput).toFixed(2)}x its throughput`,
      );
    }
    if (raw) {
      const d = tachyon.p50 - raw.p50;
      parts.push(
        `${Math.abs(d).toFixed(2)} ms p50 ${d >= 0 ? 'above' : 'below'} the in-process raw onnxruntime + sharp floor (${num(raw.p50)} ms; ${(tachyon.throughput / raw.throughput).toFixed(2)}x its throughput)`,
      );
    }
    out.push(parts.join('; '));
  }
  return out;
}

export function modelTable(report: PeerReport, model: ModelInfo, plotPrefix = ''): string {
  const rows = report.rows.filter((r) => r.model === model.id);
  const lines = [
    `#### ${model.id} — ${model.weights === 'random' ? '**random weights** (timing only; outputs mean nothing)' : 'real weights'}, ${model.dtype}, ${(model.macs / 1e9).toFixed(2)} GMAC per image`,
    '',
    `ONNX: ${model.origin}. PyTorch peer: torchvision \`${model.pytorch.arch}\`, ${model.pytorch.dtype}, weights ${model.pytorch.weights}.` +
      (model.weightCheck
        ? model.weightCheck.sameWeights
          ? ` Weight check, PyTorch vs onnxruntime logits on one preprocessed tensor: max |diff| ${model.weightCheck.maxAbsDiff.toPrecision(3)}, top-1 ${model.weightCheck.top1Equal ? 'equal' : 'differs'}${model.dtype === 'int8' ? ' (each side quantized by its own tool, so the int8 logits differ more than fp32 ones would)' : ''}.`
          : ` The weights differ by design (max |logit diff| ${model.weightCheck.maxAbsDiff.toPrecision(3)} on one tensor); only the latency is compared.`
        : ''),
    '',
    '| peer | clients | requests | p50 ms | p90 ms | p99 ms | max ms | req/s | errors | Gop/s | % of peak | other cores |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.peer} | ${r.concurrency} | ${r.requests} | ${num(r.p50)} | ${num(r.p90)} | ${num(r.p99)} | ${num(r.max)} | ${num(r.throughput)} | ${r.errors} | ${num(r.achievedGops)} | ${pct(r.peakFraction)} | ${r.otherCores ?? '?'} |`,
    ),
    '',
  ];
  const tc = model.tachyonCompute;
  if (tc)
    lines.push(
      `tachyon's model compute alone (Server-Timing \`compute\`, 1 client): p50 ${num(tc.computeP50Ms)} ms of ${num(tc.totalP50Ms)} ms server total -> ${num(tc.achievedGops)} Gop/s = **${pct(tc.peakFraction)} of the ${model.dtype} peak**.`,
      '',
    );
  for (const claim of claimsFor(report, model.id)) lines.push(`- ${claim}`);
  if (plotPrefix) {
    const levels = [...new Set(rows.map((r) => r.concurrency))].sort((a, b) => a - b);
    lines.push(
      '',
      `Plots: ${levels.map((c) => `[latency CDF, ${c} client${c > 1 ? 's' : ''}](${plotPrefix}cdf-${model.id}-c${c}.svg)`).join(', ')}, [throughput vs clients](${plotPrefix}throughput-${model.id}.svg).`,
    );
  }
  return lines.join('\n');
}

export function peakLines(report: PeerReport): string {
  const dtypes = [...new Set(report.models.map((m) => m.dtype))];
  return dtypes
    .map((d) => `- ${describePeak(report.cpuPeak, d)}`)
    .concat(report.cpuPeak.notes.map((n) => `- ${n}`))
    .join('\n');
}

export function renderPeerMarkdown(report: PeerReport, plotPrefix = ''): string {
  return [
    `### Scenario \`${report.scenario}\` (${report.tier})`,
    '',
    machineSummary(report),
    '',
    'Peak figures (the "% of peak" columns; end-to-end rows include decoding, preprocessing and the protocol, so they sit well below what the model alone reaches):',
    '',
    peakLines(report),
    '',
    ...report.notes.map((n) => `- ${n}`),
    '',
    ...report.models.flatMap((m) => [modelTable(report, m, plotPrefix), '']),
  ].join('\n');
}
