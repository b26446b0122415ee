import type { UiServiceMetrics as ServiceMetrics } from '@tachyon-serve/protocol';
import { h, table } from '../dom.js';
import { ms } from '../format.js';
import { fill } from './try-it.js';

const STAGE_ORDER = ['queue', 'preprocess', 'compute', 'postprocess', 'total'];

/** Per-stage latency, batch sizes and results by code, since the service process started (its /metrics). */
export function breakdown(summary: ServiceMetrics['summary']): HTMLElement[] {
  const total = summary.stages['total']?.meanMs ?? null;
  const stages = STAGE_ORDER.filter((s) => summary.stages[s] !== undefined).map((name) => {
    const s = summary.stages[name]!;
    const share = total !== null && s.meanMs !== null && total > 0 && name !== 'total' ? s.meanMs / total : null;
    return [
      name,
      ms(s.meanMs),
      ms(s.p50Ms),
      ms(s.p90Ms),
      ms(s.p99Ms),
      share === null
        ? '—'
        : h(
            'span',
            { class: 'share' },
            h('span', { class: 'bar', 'aria-hidden': 'true' }, fill(share)),
            `${(share * 100).toFixed(0)}%`,
          ),
    ];
  });
  const calls = summary.batchSizes.reduce((a, b) => a + b.count, 0);
  const batches = summary.batchSizes
    .filter((b) => b.count > 0)
    .map((b, i, list) => {
      const prev = i === 0 ? 0 : (list[i - 1]!.le ?? 0);
      const range = b.le === null ? `> ${prev}` : b.le === 1 ? '1' : `${Math.floor(prev) + 1}–${b.le}`;
      return [
        range,
        b.count,
        h(
          'span',
          { class: 'share' },
          h('span', { class: 'bar', 'aria-hidden': 'true' }, fill(calls === 0 ? 0 : b.count / calls)),
          `${calls === 0 ? 0 : ((b.count / calls) * 100).toFixed(0)}%`,
        ),
      ];
    });
  const codes = Object.entries(summary.requestsByCode)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => [code, n]);
  return [
    table(
      'Latency by stage (successful requests)',
      ['Stage', 'Mean', 'p50', 'p90', 'p99', 'Share of total'],
      stages,
      'no successful request yet.',
    ),
    table(
      `Batch sizes (mean ${summary.meanBatchSize === null ? '—' : summary.meanBatchSize.toFixed(2)})`,
      ['Images per batch', 'Batches', 'Share'],
      batches,
      'no batch ran yet.',
    ),
    table('Requests by result code', ['Code', 'Requests'], codes, 'no request yet.'),
  ];
}
