import type {
  ServiceKeysBody as Keys,
  UiLogs as Logs,
  UiServiceDetail as ServiceDetail,
  UiServiceMetrics as ServiceMetrics,
} from '@tachyon-serve/protocol';
import { api } from '../api.js';
import { facts, h, replace, table } from '../dom.js';
import { modelLink, stateBadge, time } from '../format.js';
import { breakdown } from './breakdown.js';
import { hourGrid, latencyChart, latencySummary, throughputChart, throughputSummary } from './charts.js';
import { keysSection } from './keys.js';
import { errorBox, loading, type PageContext } from './page.js';
import { tryItSection } from './try-it.js';

const REFRESH_MS = 5000;

/** One service: state and its history, endpoints, keys, "Try it", metric charts and breakdowns, errors, logs. */
export async function renderService(main: HTMLElement, name: string, ctx: PageContext): Promise<void> {
  document.title = `${name} · tachyon`;
  const heading = h('h1', null, name);
  replace(main, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / service'), heading, loading());
  let detail: ServiceDetail;
  let keys: Keys;
  try {
    [detail, keys] = await Promise.all([
      api<ServiceDetail>(`/services/${encodeURIComponent(name)}`),
      api<Keys>(`/services/${encodeURIComponent(name)}/keys`),
    ]);
  } catch (error) {
    replace(
      main,
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / service'),
      heading,
      errorBox(error),
    );
    return;
  }
  const stateBox = h('div', { class: 'state-line', role: 'status', 'aria-live': 'polite' });
  const endpoints = h('div');
  const history = h('div');
  const metricsError = h('div');
  const latency = latencyChart();
  const throughput = throughputChart();
  const details = h('div', { class: 'breakdown' });
  const errors = h('div');
  const logs = h('pre', { class: 'logs', tabindex: 0, 'aria-label': 'Log tail' });
  const refreshLogs = h('button', { type: 'button' }, 'Refresh logs');

  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / service'),
    heading,
    stateBox,
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'endpoints-title' },
        h('h2', { id: 'endpoints-title' }, 'Endpoints'),
        endpoints,
      ),
      keysSection(name, keys),
    ),
    tryItSection(name),
    h(
      'section',
      { 'aria-labelledby': 'metrics-title' },
      h('h2', { id: 'metrics-title' }, 'Latency and throughput'),
      metricsError,
      h('div', { class: 'charts' }, latency.element, throughput.element),
      details,
    ),
    h(
      'div',
      { class: 'columns' },
      h('section', { 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'State history'), history),
      h('section', { 'aria-labelledby': 'errors-title' }, h('h2', { id: 'errors-title' }, 'Recent errors'), errors),
    ),
    h(
      'section',
      { 'aria-labelledby': 'logs-title' },
      h('h2', { id: 'logs-title' }, 'Logs'),
      h('p', null, refreshLogs),
      logs,
    ),
  );

  const shown = { detail: '', metrics: '' };
  const showDetail = (d: ServiceDetail): void => {
    const json = JSON.stringify(d);
    if (json === shown.detail) return;
    shown.detail = json;
    const s = d.service;
    replace(stateBox, stateBadge(s.state), s.reason === null ? '' : h('span', { class: 'reason' }, ` ${s.reason}`));
    replace(
      endpoints,
      facts([
        ['Model', modelLink(s.model)],
        ['Scoring URI', s.scoringUri === null ? '—' : h('code', { class: 'wrap' }, s.scoringUri)],
        ['HTTP', s.httpUrl === null ? '—' : h('code', null, s.httpUrl)],
        ['gRPC', s.grpcAddress === null ? '—' : h('code', null, s.grpcAddress)],
        [
          'TLS',
          s.tls === 'self-signed' && d.caFile !== null
            ? ['self-signed; CA file ', h('code', { class: 'wrap' }, d.caFile)]
            : s.tls,
        ],
        ['Workers', String(d.spec.workers ?? 1)],
        ['Generation', String(s.generation)],
        ['Restarts', String(s.restarts)],
        ['Updated', time(s.updatedAt)],
      ]),
    );
    const rows = [...d.history]
      .reverse()
      .map((c) => [time(c.at), stateBadge(c.state), c.reason ?? '', String(c.generation)]);
    replace(history, table('State changes, newest first', ['When', 'State', 'Reason', 'Generation'], rows));
  };
  const showMetrics = (m: ServiceMetrics): void => {
    const json = JSON.stringify(m);
    if (json === shown.metrics) return;
    shown.metrics = json;
    replace(metricsError);
    const grid = hourGrid(m, Date.now());
    latency.update([grid.x, grid.p50, grid.p90, grid.p99], latencySummary(grid));
    throughput.update([grid.x, grid.rps, grid.errors], throughputSummary(grid, m.bucketSeconds));
    replace(details, breakdown(m.summary));
  };
  const loadLogs = async (): Promise<void> => {
    try {
      const l = await api<Logs>(`/services/${encodeURIComponent(name)}/logs?tail=200`);
      logs.textContent = l.lines.length === 0 ? '(empty)' : l.lines.join('\n');
      logs.scrollTop = logs.scrollHeight;
      const rows = [...l.errors]
        .reverse()
        .slice(0, 20)
        .map((e) => [time(e.time), e.level >= 50 ? 'error' : 'warn', e.code ?? '', e.msg]);
      replace(
        errors,
        table(
          'Warnings and errors in the log, newest first',
          ['When', 'Level', 'Code', 'Message'],
          rows,
          'none in the recent log.',
        ),
      );
    } catch (error) {
      replace(errors, errorBox(error));
    }
  };
  refreshLogs.addEventListener('click', () => void loadLogs());

  let timer: number | undefined;
  let stopped = false;
  ctx.onStop(() => {
    stopped = true;
    clearTimeout(timer);
    latency.destroy();
    throughput.destroy();
  });
  showDetail(detail);
  const tick = async (): Promise<void> => {
    const [d, m] = await Promise.allSettled([
      api<ServiceDetail>(`/services/${encodeURIComponent(name)}`),
      api<ServiceMetrics>(`/services/${encodeURIComponent(name)}/metrics`),
    ]);
    if (stopped) return;
    if (d.status === 'fulfilled') showDetail(d.value);
    if (m.status === 'fulfilled') showMetrics(m.value);
    else {
      shown.metrics = '';
      replace(metricsError, h('p', { class: 'help' }, `Metrics are not available now: ${(m.reason as Error).message}`));
    }
    timer = window.setTimeout(() => void tick(), REFRESH_MS);
  };
  await Promise.all([tick(), loadLogs()]);
}
