// Compares two benchmark JSON files metric by metric and flags changes beyond a threshold (5% by default). Reads
// the peer benchmark's rows and the scenario lists of the other benches (foundation, server, svcdef, quantize).

/** Lower is better for latencies, higher for throughput. */
const METRICS: Readonly<Record<string, 'lower' | 'higher'>> = Object.freeze({
  p50: 'lower',
  p90: 'lower',
  p99: 'lower',
  max: 'lower',
  throughput: 'higher',
  errors: 'lower',
});

export interface MetricChange {
  key: string;
  metric: string;
  a: number;
  b: number;
  /** (b - a) / a; Infinity when a is 0 and b is not. */
  change: number;
  verdict: 'worse' | 'better' | 'same';
}

type Row = Record<string, unknown>;

/** The rows of a report, keyed by what identifies them (model, peer, concurrency, or the scenario name). */
export function keyedRows(report: unknown): Map<string, Row> {
  const out = new Map<string, Row>();
  if (typeof report !== 'object' || report === null) throw new TypeError('report: expected a JSON object');
  const r = report as { rows?: Row[]; scenarios?: Row[] };
  for (const row of r.rows ?? []) {
    const key = [
      row['model'],
      row['peer'],
      row['concurrency'] === undefined ? undefined : `c${String(row['concurrency'])}`,
    ]
      .filter((p) => p !== undefined)
      .join(' ');
    if (key) out.set(key, row);
  }
  for (const row of r.scenarios ?? []) if (typeof row['name'] === 'string') out.set(row['name'], row);
  return out;
}

export function compareReports(a: unknown, b: unknown, threshold = 0.05): MetricChange[] {
  if (!(threshold >= 0)) throw new RangeError(`threshold: expected a number >= 0, got ${threshold}`);
  const rowsA = keyedRows(a);
  const rowsB = keyedRows(b);
  const changes: MetricChange[] = [];
  for (const [key, ra] of rowsA) {
    const rb = rowsB.get(key);
    if (!rb) continue;
    for (const [metric, better] of Object.entries(METRICS)) {
      const va = ra[metric];
      const vb = rb[metric];
      if (typeof va !== 'number' || typeof vb !== 'number' || !Number.isFinite(va) || !Number.isFinite(vb)) continue;
      const change = va === 0 ? (vb === 0 ? 0 : Infinity) : (vb - va) / Math.abs(va);
      const worse = better === 'lower' ? change > threshold : change < -threshold;
      const improved = better === 'lower' ? change < -threshold : change > threshold;
      changes.push({ key, metric, a: va, b: vb, change, verdict: worse ? 'worse' : improved ? 'better' : 'same' });
    }
  }
  return changes;
}

/** Keys present in only one of the two reports. */
export function unmatchedKeys(a: unknown, b: unknown): { onlyA: string[]; onlyB: string[] } {
  const ka = keyedRows(a);
  const kb = keyedRows(b);
  return { onlyA: [...ka.keys()].filter((k) => !kb.has(k)), onlyB: [...kb.keys()].filter((k) => !ka.has(k)) };
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 10 ? v.toFixed(2) : v.toFixed(3));

export function renderComparison(changes: readonly MetricChange[], threshold: number, all = false): string {
  const shown = all ? changes : changes.filter((c) => c.verdict !== 'same');
  const lines = [
    `| row | metric | A | B | change | flag (> ${(threshold * 100).toFixed(0)}%) |`,
    '|---|---|---:|---:|---:|---|',
    ...shown.map(
      (c) =>
        `| ${c.key} | ${c.metric} | ${fmt(c.a)} | ${fmt(c.b)} | ${Number.isFinite(c.change) ? `${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)}%` : 'new'} | ${c.verdict === 'worse' ? '**worse**' : c.verdict === 'better' ? 'better' : ''} |`,
    ),
  ];
  const worse = changes.filter((c) => c.verdict === 'worse').length;
  const better = changes.filter((c) => c.verdict === 'better').length;
  lines.push(
    '',
    `${changes.length} metrics compared: ${worse} worse, ${better} better, ${changes.length - worse - better} within ${(threshold * 100).toFixed(0)}%.`,
  );
  return lines.join('\n');
}
