import type { UiClassification as Classification } from '@tachyon-serve/protocol';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { ms } from '../format.js';

const STAGES = ['queue', 'preprocess', 'compute', 'postprocess'] as const;

/**
 * "Try it": pick or drop an image; the daemon forwards it to the service with the service's key and over its TLS,
 * and the page shows the top-5 labels with confidence bars and the latency of that call.
 */
export function tryItSection(service: string): HTMLElement {
  const input = h('input', {
    id: 'try-image',
    type: 'file',
    accept: 'image/jpeg,image/png,image/webp',
    class: 'visually-hidden-file',
  });
  const preview = h('img', { class: 'preview', alt: '', hidden: true });
  const result = h('div', { class: 'try-result', 'aria-live': 'polite', id: 'try-result' });
  const zone = h(
    'label',
    { for: 'try-image', class: 'drop-zone' },
    h('span', { class: 'drop-title' }, 'Choose an image'),
    h('span', { class: 'help' }, ' or drop one here (JPEG, PNG or WebP)'),
  );
  const run = async (file: File): Promise<void> => {
    if (preview.src.startsWith('blob:')) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    preview.alt = `The image sent: ${file.name}`;
    preview.hidden = false;
    replace(result, h('p', { role: 'status' }, `Classifying ${file.name}…`));
    const started = performance.now();
    try {
      const answer = await api<Classification>(`/services/${encodeURIComponent(service)}/classify?top=5`, {
        method: 'POST',
        body: file,
        contentType: file.type || 'application/octet-stream',
      });
      replace(result, renderResult(file.name, answer, performance.now() - started));
    } catch (error) {
      replace(result, h('p', { class: 'error', role: 'alert' }, `${file.name}: ${(error as Error).message}`));
    }
  };
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file !== undefined) void run(file);
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) void run(file);
  });
  return h(
    'section',
    { 'aria-labelledby': 'try-title' },
    h('h2', { id: 'try-title' }, 'Try it'),
    h('div', { class: 'try-grid' }, h('div', null, input, zone, preview), result),
  );
}

function renderResult(file: string, answer: Classification, browserMs: number): HTMLElement {
  const top = answer.top;
  const t = answer.serverTiming;
  const server = STAGES.filter((s) => t[s] !== undefined)
    .map((s) => `${s} ${ms(t[s])}`)
    .join(' · ');
  return h(
    'div',
    null,
    h('h3', null, `Top ${top.length} for ${file}`),
    h(
      'ol',
      { class: 'top-k', 'aria-label': 'Top labels' },
      top.map((entry, i) =>
        h(
          'li',
          { class: i === 0 ? 'top-1' : null },
          h('span', { class: 'label' }, entry.label),
          h('span', { class: 'bar', 'aria-hidden': 'true' }, fill(entry.score)),
          h('span', { class: 'score' }, `${(entry.score * 100).toFixed(1)}%`),
        ),
      ),
    ),
    h(
      'p',
      { class: 'latency' },
      h('strong', null, 'Latency: '),
      h('span', { 'data-latency': String(answer.latencyMs) }, ms(answer.latencyMs)),
      ` at the daemon (browser round trip ${ms(browserMs)}).`,
      t['total'] === undefined ? null : ` Server ${ms(t['total'])}: ${server}.`,
    ),
  );
}

/** A bar's fill, sized through the CSSOM (the page's CSP allows no inline style attributes). */
export function fill(fraction: number): HTMLElement {
  const el = h('span', { class: 'fill' });
  el.style.width = `${Math.min(100, Math.max(0.5, fraction * 100)).toFixed(1)}%`;
  return el;
}
