import { ApiError } from '../api.js';
import { h } from '../dom.js';

export interface PageContext {
  setWorkspace(name: string): void;
  /** Registers what stops the page's polling when another page is shown. */
  onStop(stop: () => void): void;
}

export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError && error.code !== undefined ? ` (${error.code})` : '';
  return h('p', { class: 'error', role: 'alert' }, `${message}${code}`);
}

export const loading = (): HTMLElement => h('p', { class: 'loading', role: 'status' }, 'Loading…');
