import { h } from './dom.js';

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let i = 0;
  for (; value >= 1024 && i < units.length - 1; i++) value /= 1024;
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[i]}`;
}

export const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;

export function time(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export const shortSha = (sha: string): string => sha.slice(0, 12);

export const dims = (d: readonly number[] | null): string =>
  d === null ? 'unknown' : `[${d.map((x) => (x < 0 ? '?' : String(x))).join(', ')}]`;

/** The state as text in a coloured badge (the colour is never the only signal). */
export function stateBadge(state: string): HTMLElement {
  return h('span', { class: `badge state-${state.toLowerCase()}` }, state);
}

export function modelLink(ref: string): HTMLElement {
  const [name, version] = ref.split(':');
  return h('a', { href: `#/models/${encodeURIComponent(name ?? '')}/${encodeURIComponent(version ?? '1')}` }, ref);
}
