// Small hand-written SVG charts for the peer benchmark (no plotting dependency): latency CDFs (one line per peer,
// log-scale milliseconds) and throughput against concurrency.

export interface CdfSeries {
  name: string;
  /** Latencies, ms (any order). */
  samples: readonly number[];
}

export interface ThroughputSeries {
  name: string;
  points: readonly { concurrency: number; throughput: number }[];
}

const W = 720;
const H = 420;
const M = { left: 64, right: 210, top: 40, bottom: 52 };
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

const fmt = (v: number) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);

/** 1, 2, 5 x 10^k ticks covering [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi >= lo)) throw new RangeError(`logTicks: expected 0 < lo <= hi, got ${lo}, ${hi}`);
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(Number(t.toPrecision(6)));
    }
  }
  return ticks;
}

function niceStep(range: number, count: number): number {
  const raw = range / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function frame(title: string, xLabel: string, yLabel: string, body: string[], legend: string[]): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const legendRows = legend.map(
    (name, i) =>
      `<line x1="${W - M.right + 14}" y1="${M.top + 10 + i * 20}" x2="${W - M.right + 38}" y2="${M.top + 10 + i * 20}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2.5"/>` +
      `<text x="${W - M.right + 44}" y="${M.top + 14 + i * 20}">${escapeXml(name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
    ...body,
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">${escapeXml(yLabel)}</text>`,
    ...legendRows,
    '</svg>',
  ].join('\n');
}

/** Empirical CDF of each series' latencies on a log-scale x axis. */
export function latencyCdfSvg(title: string, series: readonly CdfSeries[]): string {
  const all = series.flatMap((s) => s.samples).filter((v) => v > 0);
  if (all.length === 0) throw new RangeError('series: no positive latency samples');
  const lo = Math.min(...all) * 0.9;
  const hi = Math.max(...all) * 1.1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const y = (p: number) => M.top + (1 - p) * ph;
  const body: string[] = [];
  for (const t of logTicks(lo, hi)) {
    body.push(`<line x1="${x(t).toFixed(1)}" y1="${M.top}" x2="${x(t).toFixed(1)}" y2="${M.top + ph}" stroke="#ddd"/>`);
    body.push(`<text x="${x(t).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${String(t)}</text>`);
  }
  for (const p of [0, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    body.push(
      `<line x1="${M.left}" y1="${y(p).toFixed(1)}" x2="${M.left + pw}" y2="${y(p).toFixed(1)}" stroke="${p === 0.5 || p === 0.99 ? '#bbb' : '#eee'}"/>`,
    );
    body.push(`<text x="${M.left - 6}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end">${p}</text>`);
  }
  series.forEach((s, i) => {
    const sorted = s.samples.filter((v) => v > 0).sort((a, b) => a - b);
    if (sorted.length === 0) return;
    const step = Math.max(1, Math.floor(sorted.length / 400)); // at most ~400 points per line
    const pts: string[] = [];
    for (let k = 0; k < sorted.length; k += step)
      pts.push(`${x(sorted[k]!).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
    pts.push(`${x(sorted[sorted.length - 1]!).toFixed(1)},${y(1).toFixed(1)}`);
    body.push(
      `<polyline fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2" points="${pts.join(' ')}"/>`,
    );
  });
  return frame(
    title,
    'latency per request, ms (log scale)',
    'fraction of requests',
    body,
    series.map((s) => s.name),
  );
}

/** Requests per second against concurrency (log2 x axis), one line per series. */
export function throughputSvg(title: string, series: readonly ThroughputSeries[]): string {
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) throw new RangeError('series: no points');
  const levels = [...new Set(points.map((p) => p.concurrency))].sort((a, b) => a - b);
  const top = Math.max(...points.map((p) => p.throughput)) * 1.1 || 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const l0 = Math.log2(levels[0]!);
  const l1 = Math.log2(levels[levels.length - 1]!);
  const x = (c: number) => M.left + 20 + (l1 === l0 ? 0.5 : (Math.log2(c) - l0) / (l1 - l0)) * (pw - 40);
  const y = (v: number) => M.top + (1 - v / top) * ph;
  const body: string[] = [];
  const step = niceStep(top, 6);
  for (let t = 0; t <= top; t += step) {
    body.push(
      `<line x1="${M.left}" y1="${y(t).toFixed(1)}" x2="${M.left + pw}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`,
    );
    body.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const c of levels)
    body.push(`<text x="${x(c).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${c}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = [...s.points].sort((a, b) => a.concurrency - b.concurrency);
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.concurrency).toFixed(1)},${y(p.throughput).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts)
      body.push(
        `<circle cx="${x(p.concurrency).toFixed(1)}" cy="${y(p.throughput).toFixed(1)}" r="3.5" fill="${color}"/>`,
      );
  });
  return frame(
    title,
    'concurrent clients (closed loop)',
    'requests per second',
    body,
    series.map((s) => s.name),
  );
}
