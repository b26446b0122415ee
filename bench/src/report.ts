import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CONTENDED_CORES } from './cpu-watch.js';
import type { Environment } from './environment.js';
import type { BenchImage, ModelCheck, ScenarioResult } from './scenarios.js';
import { median, medianCi95, round } from './stats.js';

/** Foundation targets: tachyon's own per-call cost, and preprocessing kept small next to the model. */
export const TARGETS = Object.freeze({ overheadUsMax: 100, preprocessVsModelMax: 0.5 });

export interface Overhead {
  model: string;
  weights: 'real' | 'random';
  mode: 'copy' | 'transfer';
  /** (tachyon-run p50 - raw-ort p50) in microseconds, each p50 over all of its samples. */
  overheadUs: number;
  /** Median over block rounds of (tachyon block p50 - raw block p50): less sensitive to drift across the run. */
  pairedBlockUs: number;
  /** 95% interval of pairedBlockUs: when it contains the target's limit, this run cannot tell pass from fail. */
  pairedBlockCi95Us: [number, number];
  /** Spread (max - min) of the raw-ort block p50s, in microseconds: differences well below it are noise. */
  rawBlockSpreadUs: number;
  /** Cores other processes used during the kept rounds of this model's measurement. */
  otherCores?: number;
  /** Block rounds measured. */
  rounds: number;
  /** Rounds kept although other processes were busy during them (after the retries ran out). */
  contendedRoundsKept: number;
}

export interface Derived {
  overhead: Overhead[];
  /** p50 of a bare worker round trip (no model) in microseconds, per mode: the floor under overheadUs. */
  workerRoundTripUs?: { copy?: number; transfer?: number };
  /** preprocess torchvision224 p50 / mobilenetv2-int8 raw-ort p50. */
  preprocessVsModel?: { preprocessP50: number; modelP50: number; ratio: number };
}

export interface TargetVerdict {
  target: 'overheadUs' | 'preprocessVsModel';
  model?: string;
  mode?: 'copy' | 'transfer';
  value: number;
  limit: number;
  pass: boolean;
  /**
   * overheadUs only: the verdict is not trustworthy, because the paired-block estimate gives the other verdict, or
   * its 95% interval contains the limit (the model's own run-to-run noise is larger than the target), or other
   * processes used more than CONTENDED_CORES during the kept rounds, or more than a tenth of the rounds had to be
   * kept contended.
   */
  noisy?: boolean;
}

export interface BenchReport {
  environment: Environment;
  image: Omit<BenchImage, 'bytes'>;
  config: {
    iterations: number | 'default';
    blocks: number | 'default';
    scenarioFilter: string[] | null;
    intraOpThreads: number;
    workers: number;
  };
  notes: string[];
  checks: ModelCheck[];
  scenarios: ScenarioResult[];
  derived: Derived;
  targets: TargetVerdict[];
  durationSeconds: number;
}

function find(scenarios: readonly ScenarioResult[], name: string): ScenarioResult | undefined {
  return scenarios.find((s) => s.name === name);
}

export function computeDerived(scenarios: readonly ScenarioResult[]): Derived {
  const overhead: Overhead[] = [];
  for (const raw of scenarios.filter((s) => s.name.startsWith('raw-ort/'))) {
    for (const mode of ['copy', 'transfer'] as const) {
      const run = find(scenarios, `tachyon-run/${raw.model}/${mode}`);
      if (!run) continue;
      const rounds = Math.min(raw.blockP50s.length, run.blockP50s.length);
      const diffs = Array.from({ length: rounds }, (_, i) => run.blockP50s[i]! - raw.blockP50s[i]!);
      overhead.push({
        model: raw.model!,
        weights: raw.weights!,
        mode,
        overheadUs: round((run.p50 - raw.p50) * 1000, 1),
        pairedBlockUs: round(median(diffs) * 1000, 1),
        pairedBlockCi95Us: medianCi95(diffs).map((v) => round(v * 1000, 1)) as [number, number],
        rawBlockSpreadUs: round((Math.max(...raw.blockP50s) - Math.min(...raw.blockP50s)) * 1000, 1),
        ...(raw.cpu ? { otherCores: raw.cpu.otherCores } : {}),
        rounds,
        contendedRoundsKept: raw.contendedRoundsKept,
      });
    }
  }
  const derived: Derived = { overhead };
  const copy = find(scenarios, 'worker-roundtrip/copy');
  const transfer = find(scenarios, 'worker-roundtrip/transfer');
  if (copy || transfer) {
    derived.workerRoundTripUs = {
      ...(copy ? { copy: round(copy.p50 * 1000, 1) } : {}),
      ...(transfer ? { transfer: round(transfer.p50 * 1000, 1) } : {}),
    };
  }
  const pre = scenarios.find((s) => s.name.startsWith('preprocess/torchvision224/'));
  const model = find(scenarios, 'raw-ort/mobilenetv2-int8');
  if (pre && model)
    derived.preprocessVsModel = { preprocessP50: pre.p50, modelP50: model.p50, ratio: round(pre.p50 / model.p50, 3) };
  return derived;
}

export function evaluateTargets(derived: Derived): TargetVerdict[] {
  const limit = TARGETS.overheadUsMax;
  const verdicts: TargetVerdict[] = derived.overhead.map((o) => ({
    target: 'overheadUs',
    model: o.model,
    mode: o.mode,
    value: o.overheadUs,
    limit,
    pass: o.overheadUs <= limit,
    noisy:
      o.overheadUs <= limit !== o.pairedBlockUs <= limit ||
      (o.pairedBlockCi95Us[0] <= limit && limit <= o.pairedBlockCi95Us[1]) ||
      (o.otherCores ?? 0) > CONTENDED_CORES ||
      o.contendedRoundsKept > o.rounds / 10,
  }));
  if (derived.preprocessVsModel) {
    const { ratio } = derived.preprocessVsModel;
    verdicts.push({
      target: 'preprocessVsModel',
      value: ratio,
      limit: TARGETS.preprocessVsModelMax,
      pass: ratio <= TARGETS.preprocessVsModelMax,
    });
  }
  return verdicts;
}

/** Writes each file through a temporary name so that an interrupted run never leaves half a JSON. */
export async function writeReport(report: BenchReport, paths: readonly string[]): Promise<void> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  for (const path of paths) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, json);
    await rename(`${path}.tmp`, path);
  }
}

const ms = (v: number) => (v >= 100 ? v.toFixed(1) : v >= 10 ? v.toFixed(2) : v.toFixed(3));

export function renderMarkdown(report: BenchReport): string {
  const env = report.environment;
  const lines: string[] = [];
  lines.push(
    `Machine: ${env.cpuModel}, ${env.cores} logical cores, ${env.memoryGiB} GiB, ${env.os}; node ${env.node}, onnxruntime-node ${env.onnxruntimeNode}, ` +
      `sharp ${env.sharp} (libvips ${env.libvips}); git ${env.gitSha.slice(0, 7)}${env.gitDirty ? ' (dirty tree)' : ''}; ${env.date}; ` +
      `1-min load average ${env.loadAverage1m} at start, ${env.loadAverage1mEnd ?? '?'} at end.`,
  );
  lines.push(
    `Image: ${report.image.name} (${report.image.width}x${report.image.height} JPEG). tachyon: ${report.config.workers} worker, ` +
      `${report.config.intraOpThreads} intra-op threads; raw onnxruntime-node: same session options, main thread. Batch 1; blocks per contender: ` +
      `${report.config.blocks === 'default' ? 'preprocess 10, real models 30, random 10; 100 ms pause before each raw/tachyon block' : report.config.blocks}. ` +
      `"other cores": CPU used by other processes during the rounds kept (0 = quiet machine); "retried": rounds measured again ` +
      `because other processes used more than ${CONTENDED_CORES} cores during them.`,
  );
  lines.push('');
  lines.push(
    '| scenario | weights | iterations | p50 ms | p90 ms | p99 ms | max ms | mean ms | calls/s | other cores | retried |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of report.scenarios) {
    lines.push(
      `| ${s.name} | ${s.weights ?? '-'} | ${s.iterations} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} | ${ms(s.mean)} | ${s.throughput.toFixed(1)} | ${s.cpu ? s.cpu.otherCores.toFixed(2) : '?'} | ${s.retriedRounds}${s.contendedRoundsKept > 0 ? ` (${s.contendedRoundsKept} kept contended)` : ''} |`,
    );
  }
  if (report.targets.length > 0) lines.push('', '| target | model | value | limit | verdict | notes |');
  if (report.targets.length > 0) lines.push('|---|---|---:|---:|---|---|');
  for (const t of report.targets) {
    if (t.target === 'overheadUs') {
      const o = report.derived.overhead.find((x) => x.model === t.model && x.mode === t.mode)!;
      const floor = report.derived.workerRoundTripUs?.[t.mode!];
      lines.push(
        `| overheadUs (${t.mode}) | ${t.model}${o.weights === 'random' ? ' (random)' : ''} | ${t.value.toFixed(1)} us | ${t.limit} us | ${t.pass ? 'PASS' : 'FAIL'}${t.noisy ? ' (noisy)' : ''} | ` +
          `paired-block median ${o.pairedBlockUs.toFixed(0)} us (95% ${o.pairedBlockCi95Us[0].toFixed(0)}..${o.pairedBlockCi95Us[1].toFixed(0)}); ` +
          `raw block-p50 spread ${o.rawBlockSpreadUs.toFixed(0)} us` +
          `${floor === undefined ? '' : `; bare worker round trip ${floor.toFixed(0)} us`} |`,
      );
    } else {
      const p = report.derived.preprocessVsModel!;
      lines.push(
        `| preprocessVsModel | mobilenetv2-int8 | ${t.value.toFixed(3)} | ${t.limit} | ${t.pass ? 'PASS' : 'FAIL'} | ` +
          `preprocess torchvision224 p50 ${ms(p.preprocessP50)} ms / raw-ort p50 ${ms(p.modelP50)} ms |`,
      );
    }
  }
  if (report.targets.some((t) => t.noisy)) {
    lines.push('');
    lines.push(
      `(noisy): the paired-block estimate gives the other verdict, or its 95% interval contains the limit, or other processes ` +
        `used more than ${CONTENDED_CORES} cores during the kept rounds, or over a tenth of the rounds were kept contended: this run cannot ` +
        'decide that target (for the large models a 100 us difference is below the noise of a 40-150 ms call).',
    );
  }
  if (report.notes.length > 0) {
    lines.push('');
    for (const n of report.notes) lines.push(`Note: ${n}`);
  }
  return lines.join('\n');
}
