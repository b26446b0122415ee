import type {
  UiModelDetail as ModelDetail,
  UiStageView as StageView,
  UiTensorView as TensorView,
} from '@tachyon-serve/protocol';
import { api } from '../api.js';
import { facts, h, replace, table, type Child } from '../dom.js';
import { bytes, dims, time } from '../format.js';
import { errorBox, loading, type PageContext } from './page.js';

/** One registered model version: facts, the stages of its service definition with tensor shapes, and its files. */
export async function renderModel(main: HTMLElement, name: string, version: number, ctx: PageContext): Promise<void> {
  document.title = `${name}:${version} · tachyon`;
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' / model');
  const heading = h('h1', null, `${name}:${version}`);
  replace(main, crumbs, heading, loading());
  let model: ModelDetail;
  try {
    model = await api<ModelDetail>(`/models/${encodeURIComponent(name)}/versions/${version}`);
  } catch (error) {
    replace(main, crumbs, heading, errorBox(error));
    return;
  }
  ctx.onStop(() => undefined);
  const versions = h(
    'nav',
    { 'aria-label': 'Versions', class: 'versions' },
    h('span', null, 'Versions: '),
    model.versions.map((v) =>
      v === version
        ? h('span', { 'aria-current': 'page', class: 'current' }, `v${v}`)
        : h('a', { href: `#/models/${encodeURIComponent(name)}/${v}` }, `v${v}`),
    ),
  );
  replace(
    main,
    crumbs,
    heading,
    versions,
    facts([
      ['Kind', model.kind],
      ['Size', `${bytes(model.size)} (${model.size} bytes)`],
      ['sha256', h('code', { class: 'wrap' }, model.sha256)],
      ['Registered', time(model.createdAt)],
      ['Description', model.description ?? '—'],
      [
        'Tags',
        Object.keys(model.tags).length === 0
          ? '—'
          : Object.entries(model.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
      ],
      [
        'Deployed as',
        model.deployedAs.length === 0
          ? '—'
          : model.deployedAs.map((s, i) => [
              i > 0 ? ', ' : '',
              h('a', { href: `#/services/${encodeURIComponent(s)}` }, s),
            ]),
      ],
    ]),
    h(
      'section',
      { 'aria-labelledby': 'stages-title' },
      h('h2', { id: 'stages-title' }, `Stages (${model.stages.length})`),
      h('ol', { class: 'stages' }, model.stages.map(stageCard)),
    ),
    h(
      'section',
      { 'aria-labelledby': 'files-title' },
      h('h2', { id: 'files-title' }, 'Files'),
      table(
        'Files of the artifact',
        ['Path', 'Size', 'sha256'],
        model.files.map((f) => [h('code', null, f.path), bytes(f.size), h('code', { class: 'wrap' }, f.sha256)]),
      ),
    ),
  );
}

function tensorRows(list: TensorView[]): Child[][] {
  return list.map((t) => [
    h('code', null, t.port),
    h('code', null, t.tensor),
    t.dtype ?? 'unknown',
    h('code', null, dims(t.dims)),
  ]);
}

function stageCard(stage: StageView, index: number): HTMLElement {
  const headingId = `stage-${index}`;
  const settings = Object.entries(stage.settings).map(([k, v]): [string, Child] => [
    k,
    h('code', { class: 'wrap' }, typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)),
  ]);
  return h(
    'li',
    { class: 'card stage', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, `${index + 1}. ${stage.name} `, h('span', { class: 'kind' }, stage.kind)),
    stage.description === null ? null : h('p', { class: 'help' }, stage.description),
    stage.file === null
      ? null
      : facts([
          ['File', h('code', { class: 'wrap' }, stage.file.path)],
          ['Size', bytes(stage.file.size)],
          ['sha256', h('code', { class: 'wrap' }, stage.file.sha256)],
        ]),
    settings.length === 0 ? null : facts(settings),
    table(`Inputs of ${stage.name}`, ['Port', 'Tensor', 'Type', 'Shape'], tensorRows(stage.inputs), 'none.'),
    table(
      `Outputs of ${stage.name}`,
      ['Port', 'Tensor', 'Type', 'Shape'],
      tensorRows(stage.outputs),
      'none (it produces the labelled result).',
    ),
  );
}
