import { CONTENDED_CORES } from '../cpu-watch.js';
import type { Environment } from '../environment.js';
import { latencyTable, machineLine } from '../server/bench-common.js';
import { median, medianCi95, round } from '../stats.js';
import type { SvcdefGroup } from './svcdef-scenarios.js';

/**
 * Limits of the verdicts. Fusion must show a gain (fused p50 below unfused p50, the paired estimate's interval below
 * 1); "no per-stage overhead": the fused definition within 5% of the full model alone (a margin for the run-to-run
 * noise of a shared 2-core VM; the full model's call also does softmax + top-5, which the scores() call does not).
 */
export const SVCDEF_TARGETS = Object.freeze({ fusedVsUnfusedMax: 1, fusedVsFullModelMax: 1.05 });

export interface Ratio {
  /** a p50 / b p50, each over all samples. */
  ratio: number;
  /** Median over rounds of (a block p50 / b block p50): robust to drift during the run. */
  pairedBlock: number;
  pairedBlockCi95: [number, number];
  /** a p50 - b p50 in microseconds. */
  differenceUs: number;
}

export interface SvcdefDerived {
  id: string;
  fusedVsUnfused: Ratio;
  fusedVsFullModel: Ratio;
  reference: SvcdefGroup['reference'];
}

export interface SvcdefVerdict {
  target: 'fusedVsUnfused' | 'fusedVsFullModel';
  id: string;
  value: number;
  limit: number;
  pass: boolean;
  /** The paired estimate gives the other verdict, its interval contains the limit, or the machine was contended. */
  noisy: boolean;
}

function ratio(group: SvcdefGroup, a: string, b: string): Ratio {
  const ra = group.rows.find((r) => r.name === a)!;
  const rb = group.rows.find((r) => r.name === b)!;
  const perRound = ra.blockP50s.map((v, i) => v / rb.blockP50s[i]!);
  const [lo, hi] = medianCi95(perRound);
  return {
    ratio: round(ra.p50 / rb.p50, 4),
    pairedBlock: round(median(perRound), 4),
    pairedBlockCi95: [round(lo, 4), round(hi, 4)],
    differenceUs: round((ra.p50 - rb.p50) * 1000, 1),
  };
}

export function computeSvcdefDerived(groups: readonly SvcdefGroup[]): SvcdefDerived[] {
  return groups.map((g) => {
    const full = g.rows.find((r) => r.side === 'peer')!.name;
    return {
      id: g.id,
      reference: g.reference,
      fusedVsUnfused: ratio(g, `svcdef/${g.id}/fused`, `svcdef/${g.id}/unfused`),
      fusedVsFullModel: ratio(g, `svcdef/${g.id}/fused`, full),
    };
  });
}

export function evaluateSvcdefTargets(
  groups: readonly SvcdefGroup[],
  derived: readonly SvcdefDerived[],
): SvcdefVerdict[] {
  const verdicts: SvcdefVerdict[] = [];
  for (const d of derived) {
    const group = groups.find((g) => g.id === d.id)!;
    const contended = (group.machine.cpu?.otherCores ?? 0) > CONTENDED_CORES || group.machine.contendedRoundsKept > 0;
    const judge = (target: SvcdefVerdict['target'], r: Ratio, limit: number, strict: boolean): SvcdefVerdict => {
      const pass = strict ? r.ratio < limit : r.ratio <= limit;
      const pairedPass = strict ? r.pairedBlock < limit : r.pairedBlock <= limit;
      const straddles = r.pairedBlockCi95[0] <= limit && r.pairedBlockCi95[1] >= limit;
      return { target, id: d.id, value: r.ratio, limit, pass, noisy: pairedPass !== pass || straddles || contended };
    };
    verdicts.push(judge('fusedVsUnfused', d.fusedVsUnfused, SVCDEF_TARGETS.fusedVsUnfusedMax, true));
    // The Keras group's full model has another (1000-class) head: a comparison for context, not a verdict.
    if (d.reference === 'same-model')
      verdicts.push(judge('fusedVsFullModel', d.fusedVsFullModel, SVCDEF_TARGETS.fusedVsFullModelMax, false));
  }
  return verdicts;
}

export interface SvcdefReport {
  environment: Environment;
  image: { name: string; path: string; width: number; height: number };
  config: { iterations: number; blocks: number; intraOpThreads: number; workers: number; switchPauseMs: number };
  notes: string[];
  groups: Omit<SvcdefGroup, 'rows' | 'machine'>[];
  scenarios: SvcdefGroup['rows'];
  derived: SvcdefDerived[];
  targets: SvcdefVerdict[];
  durationSeconds: number;
}

const verdictWord = (v: SvcdefVerdict) => `${v.pass ? 'pass' : 'FAIL'}${v.noisy ? ' (noisy)' : ''}`;

export function renderSvcdefMarkdown(report: SvcdefReport, groups: readonly SvcdefGroup[]): string {
  const out: string[] = [];
  out.push(`Machine: ${machineLine(report.environment)}.`, '');
  out.push(
    `Image \`${report.image.name}\` (${report.image.width}x${report.image.height}); ${report.config.iterations} timed calls per scenario in ${report.config.blocks} alternating blocks; batch 1.`,
    '',
  );
  out.push(latencyTable(groups.flatMap((g) => g.rows)), '');
  out.push(
    '| definition | fused plan | unfused plan | fused / unfused p50 (paired, 95% CI) | fused − unfused µs | fused / full model p50 (paired, 95% CI) | fused − full µs |',
  );
  out.push('|---|---|---|---|---:|---|---:|');
  for (const d of report.derived) {
    const g = groups.find((x) => x.id === d.id)!;
    const plan = (p: SvcdefGroup['fusedPlan']) => p.map((u) => `${u.kind}[${u.stages.join('+')}]`).join(' → ');
    const r = (x: typeof d.fusedVsUnfused) =>
      `${x.ratio.toFixed(3)} (${x.pairedBlock.toFixed(3)}, ${x.pairedBlockCi95[0].toFixed(3)}–${x.pairedBlockCi95[1].toFixed(3)})`;
    out.push(
      `| \`${d.id}\` | ${plan(g.fusedPlan)} | ${plan(g.unfusedPlan)} | ${r(d.fusedVsUnfused)} | ${d.fusedVsUnfused.differenceUs.toFixed(0)} | ` +
        `${r(d.fusedVsFullModel)}${d.reference === 'same-model' ? '' : ' (other head: context)'} | ${d.fusedVsFullModel.differenceUs.toFixed(0)} |`,
    );
  }
  out.push('', '| verdict | definition | value | limit | result |', '|---|---|---:|---:|---|');
  for (const v of report.targets) {
    out.push(
      `| ${v.target === 'fusedVsUnfused' ? 'fusion gain: fused/unfused p50 <' : 'no per-stage overhead: fused/full p50 ≤'} | \`${v.id}\` | ${v.value.toFixed(3)} | ${v.limit} | ${verdictWord(v)} |`,
    );
  }
  return out.join('\n');
}
