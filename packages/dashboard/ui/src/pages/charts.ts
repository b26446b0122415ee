import type { UiServiceMetrics as ServiceMetrics } from '@tachyon-serve/protocol';
import uPlot from 'uplot';
import { h } from '../dom.js';
import { ms } from '../format.js';

const HOUR_S = 3600;

/** The last hour on the history's bucket grid: buckets without traffic become 0 requests and no latency. */
export function hourGrid(
  metrics: ServiceMetrics,
  nowMs: number,
): {
  x: number[];
  p50: (number | null)[];
  p90: (number | null)[];
  p99: (number | null)[];
  rps: number[];
  errors: number[];
} {
  const step = metrics.bucketSeconds * 1000;
  const end = Math.floor(nowMs / step) * step;
  const byStart = new Map(metrics.points.map((p) => [p.start, p]));
  const out = {
    x: [] as number[],
    p50: [] as (number | null)[],
    p90: [] as (number | null)[],
    p99: [] as (number | null)[],
    rps: [] as number[],
    errors: [] as number[],
  };
  for (let t = end - HOUR_S * 1000 + step; t <= end; t += step) {
    const p = byStart.get(t);
    out.x.push(t / 1000);
    out.p50.push(p?.p50 ?? null);
    out.p90.push(p?.p90 ?? null);
    out.p99.push(p?.p99 ?? null);
    out.rps.push((p?.requests ?? 0) / metrics.bucketSeconds);
    out.errors.push((p?.errors ?? 0) / metrics.bucketSeconds);
  }
  return out;
}

interface ChartSpec {
  title: string;
  unit: string;
  /** Mark every value (latency: a bucket with traffic between quiet ones would otherwise draw nothing). */
  points?: boolean;
  series: { label: string; stroke: string; dash?: number[] }[];
}

/** A uPlot line chart in a <figure> with a text summary (the canvas itself is not readable by assistive tech). */
export class HourChart {
  readonly element: HTMLElement;
  readonly #plotBox: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #spec: ChartSpec;
  #plot: uPlot | undefined;
  readonly #resize: ResizeObserver;

  constructor(spec: ChartSpec) {
    this.#spec = spec;
    this.#plotBox = h('div', { class: 'plot', 'aria-hidden': 'true' });
    this.#summary = h('figcaption', null, spec.title);
    this.element = h('figure', { class: 'chart' }, this.#summary, this.#plotBox);
    this.#resize = new ResizeObserver(() => this.#plot?.setSize(this.#size()));
    this.#resize.observe(this.element);
  }

  #size(): { width: number; height: number } {
    return { width: Math.max(240, this.element.clientWidth - 2), height: 220 };
  }

  update(data: uPlot.AlignedData, summary: string): void {
    this.#summary.textContent = `${this.#spec.title}. ${summary}`;
    if (this.#plot === undefined) {
      const unit = this.#spec.unit;
      this.#plot = new uPlot(
        {
          ...this.#size(),
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
          axes: [
            { stroke: '#374151' },
            { stroke: '#374151', label: unit, size: 60, values: (_u, ticks) => ticks.map((v) => `${+v.toFixed(2)}`) },
          ],
          series: [
            {},
            ...this.#spec.series.map((s) => ({
              label: s.label,
              stroke: s.stroke,
              width: 2,
              spanGaps: false,
              ...(this.#spec.points ? { points: { show: true, size: 5, fill: s.stroke } } : {}),
              ...(s.dash ? { dash: s.dash } : {}),
            })),
          ],
          legend: { live: false },
          cursor: { show: true },
        },
        data,
        this.#plotBox,
      );
    } else {
      this.#plot.setData(data);
    }
  }

  destroy(): void {
    this.#resize.disconnect();
    this.#plot?.destroy();
  }
}

export function latencyChart(): HourChart {
  return new HourChart({
    title: 'Latency (server total) over the last hour',
    unit: 'ms',
    points: true,
    series: [
      { label: 'p50', stroke: '#1d4ed8' },
      { label: 'p90', stroke: '#b45309', dash: [6, 3] },
      { label: 'p99', stroke: '#b91c1c', dash: [2, 2] },
    ],
  });
}

export function throughputChart(): HourChart {
  return new HourChart({
    title: 'Throughput over the last hour',
    unit: 'req/s',
    series: [
      { label: 'requests/s', stroke: '#047857' },
      { label: 'errors/s', stroke: '#b91c1c', dash: [4, 3] },
    ],
  });
}

export function latencySummary(grid: ReturnType<typeof hourGrid>): string {
  const worst = (values: (number | null)[]) =>
    values.reduce<number | null>((m, v) => (v === null ? m : m === null ? v : Math.max(m, v)), null);
  const lastIndex = grid.p50
    .map((v, i) => (v === null ? -1 : i))
    .filter((i) => i >= 0)
    .pop();
  if (lastIndex === undefined) return 'No successful request in the last hour.';
  return `Latest: p50 ${ms(grid.p50[lastIndex])}, p90 ${ms(grid.p90[lastIndex])}, p99 ${ms(grid.p99[lastIndex])}; highest p99 ${ms(worst(grid.p99))}.`;
}

export function throughputSummary(grid: ReturnType<typeof hourGrid>, bucketSeconds: number): string {
  const requests = Math.round(grid.rps.reduce((a, b) => a + b, 0) * bucketSeconds);
  const errors = Math.round(grid.errors.reduce((a, b) => a + b, 0) * bucketSeconds);
  return `${requests} requests in the last hour, ${errors} failed; peak ${Math.max(0, ...grid.rps).toFixed(2)} requests/s.`;
}
