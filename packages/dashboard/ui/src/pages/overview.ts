import type { UiOverview as Overview } from '@tachyon-serve/protocol';
import { api } from '../api.js';
import { h, replace, table } from '../dom.js';
import { bytes, modelLink, shortSha, stateBadge, time } from '../format.js';
import { errorBox, loading, type PageContext } from './page.js';

const REFRESH_MS = 5000;

/** The workspace: its services (state, model, endpoint, ports) and its models with every version. */
export async function renderOverview(main: HTMLElement, ctx: PageContext): Promise<void> {
  document.title = 'Overview · tachyon';
  const body = h('div', null, loading());
  replace(main, h('h1', null, 'Workspace overview'), body);
  let timer: number | undefined;
  let stopped = false;
  ctx.onStop(() => {
    stopped = true;
    clearTimeout(timer);
  });
  let shown = '';
  const refresh = async (): Promise<void> => {
    try {
      const overview = await api<Overview>('/overview');
      if (stopped) return;
      ctx.setWorkspace(overview.workspace);
      // Re-render only on a change, so keyboard focus is not lost every few seconds.
      const json = JSON.stringify(overview);
      if (json !== shown) replace(body, servicesSection(overview), modelsSection(overview));
      shown = json;
    } catch (error) {
      if (!stopped) replace(body, errorBox(error));
      shown = '';
    }
    if (!stopped) timer = window.setTimeout(refresh, REFRESH_MS);
  };
  await refresh();
}

function servicesSection(overview: Overview): HTMLElement {
  const rows = overview.services.map((s) => [
    h('a', { href: `#/services/${encodeURIComponent(s.name)}` }, s.name),
    stateBadge(s.state),
    modelLink(s.model),
    s.httpUrl === null ? '—' : h('code', null, s.httpUrl),
    s.httpPort ?? '—',
    s.grpcPort ?? '—',
    s.tls,
    s.restarts,
  ]);
  return h(
    'section',
    { 'aria-labelledby': 'services-title' },
    h('h2', { id: 'services-title' }, 'Services'),
    table(
      'Services',
      ['Name', 'State', 'Model', 'Endpoint', 'HTTP port', 'gRPC port', 'TLS', 'Restarts'],
      rows,
      'none deployed (`tachyon deploy NAME --model MODEL`).',
    ),
  );
}

function modelsSection(overview: Overview): HTMLElement {
  const rows = overview.models.flatMap((m) =>
    m.versions.map((v) => [
      h('a', { href: `#/models/${encodeURIComponent(m.name)}/${v.version}` }, `${m.name}:${v.version}`),
      v.kind,
      bytes(v.size),
      h('code', { title: v.sha256 }, shortSha(v.sha256)),
      time(v.createdAt),
      v.deployedAs.length === 0
        ? '—'
        : v.deployedAs.map((name, i) => [
            i > 0 ? ', ' : '',
            h('a', { href: `#/services/${encodeURIComponent(name)}` }, name),
          ]),
    ]),
  );
  return h(
    'section',
    { 'aria-labelledby': 'models-title' },
    h('h2', { id: 'models-title' }, 'Models'),
    table(
      'Registered model versions',
      ['Model', 'Kind', 'Size', 'sha256', 'Registered', 'Deployed as'],
      rows,
      'none registered (`tachyon model register FILE --name NAME`).',
    ),
  );
}
