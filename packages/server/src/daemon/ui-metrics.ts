/**
 * The dashboard's reading of a service's Prometheus text (`GET /metrics`, docs/observability.md): since the process
 * started, per-stage latency (mean and quantiles estimated from the histogram buckets, like PromQL's
 * histogram_quantile), the batch-size distribution and the request count per result code.
 */
import type { UiLogError, UiMetricsSummary, UiStageLatency } from '@tachyon-serve/protocol';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    const value = match[3] === '+Inf' ? Infinity : Number(match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** Linear interpolation inside the bucket holding rank q*count (cumulative buckets, ascending `le`). */
export function bucketQuantile(q: number, buckets: readonly { le: number; cumulative: number }[]): number | null {
  const total = buckets[buckets.length - 1]?.cumulative ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.cumulative >= rank) {
      if (b.le === Infinity) return lower;
      const inBucket = b.cumulative - below;
      return inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    lower = b.le;
    below = b.cumulative;
  }
  return lower;
}

/** Sums the series of `model` over every protocol into the summary the service page shows. */
export function summarizeMetrics(text: string, model: string): UiMetricsSummary {
  const samples = parsePrometheusText(text).filter((s) => s.labels['model'] === model);
  const stageBuckets = new Map<string, Map<number, number>>();
  const stageSum = new Map<string, number>();
  const stageCount = new Map<string, number>();
  const batch = new Map<number, number>();
  let batchSum = 0;
  let batchCount = 0;
  const requestsByCode: Record<string, number> = {};
  for (const s of samples) {
    // Stages come from the stage histogram, `total` from the request histogram (which has no stage label); a server
    // from before the split had every stage, total included, in tachyon_request_duration_seconds{stage}.
    const stage = s.labels['stage'] ?? 'total';
    switch (s.name.replace('tachyon_request_stage_duration_seconds', 'tachyon_request_duration_seconds')) {
      case 'tachyon_request_duration_seconds_bucket': {
        const map = stageBuckets.get(stage!) ?? new Map<number, number>();
        const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
        map.set(le, (map.get(le) ?? 0) + s.value);
        stageBuckets.set(stage!, map);
        break;
      }
      case 'tachyon_request_duration_seconds_sum':
        stageSum.set(stage!, (stageSum.get(stage!) ?? 0) + s.value);
        break;
      case 'tachyon_request_duration_seconds_count':
        stageCount.set(stage!, (stageCount.get(stage!) ?? 0) + s.value);
        break;
      case 'tachyon_batch_size_bucket': {
        const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
        batch.set(le, (batch.get(le) ?? 0) + s.value);
        break;
      }
      case 'tachyon_batch_size_sum':
        batchSum += s.value;
        break;
      case 'tachyon_batch_size_count':
        batchCount += s.value;
        break;
      case 'tachyon_requests_total': {
        const code = s.labels['code'] ?? 'unknown';
        requestsByCode[code] = (requestsByCode[code] ?? 0) + s.value;
        break;
      }
    }
  }
  const stages: Record<string, UiStageLatency> = {};
  for (const [stage, map] of stageBuckets) {
    const buckets = [...map].sort((a, b) => a[0] - b[0]).map(([le, cumulative]) => ({ le: le * 1000, cumulative }));
    const count = stageCount.get(stage) ?? 0;
    stages[stage] = {
      count,
      meanMs: count === 0 ? null : ((stageSum.get(stage) ?? 0) * 1000) / count,
      p50Ms: bucketQuantile(0.5, buckets),
      p90Ms: bucketQuantile(0.9, buckets),
      p99Ms: bucketQuantile(0.99, buckets),
    };
  }
  const sorted = [...batch].sort((a, b) => a[0] - b[0]);
  const batchSizes = sorted.map(([le, cumulative], i) => ({
    le,
    count: cumulative - (i === 0 ? 0 : sorted[i - 1]![1]),
  }));
  return { stages, batchSizes, meanBatchSize: batchCount === 0 ? null : batchSum / batchCount, requestsByCode };
}

/** Log lines at warn (40) or above, pino JSON or not, newest last: the service page's "recent errors". */
export function errorLines(lines: readonly string[]): UiLogError[] {
  const out: UiLogError[] = [];
  for (const line of lines) {
    let parsed:
      | { level?: unknown; time?: unknown; msg?: unknown; code?: unknown; err?: { message?: unknown }; error?: unknown }
      | undefined;
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed?.level !== 'number' || parsed.level < 40) continue;
    const detail =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.err?.message === 'string'
          ? parsed.err.message
          : '';
    const msg = `${typeof parsed.msg === 'string' ? parsed.msg : ''}${detail === '' ? '' : `: ${detail}`}`.slice(
      0,
      500,
    );
    const time =
      typeof parsed.time === 'number'
        ? new Date(parsed.time).toISOString()
        : typeof parsed.time === 'string'
          ? parsed.time
          : null;
    out.push({ time, level: parsed.level, msg, code: typeof parsed.code === 'string' ? parsed.code : null });
  }
  return out;
}
