import type { ServiceKeysBody as Keys } from '@tachyon-serve/protocol';
import { postJson } from '../api.js';
import { h, replace } from '../dom.js';

/**
 * The service's primary and secondary keys: hidden until shown, copy to the clipboard, regenerate (through the
 * daemon, which reloads the service: the old key is refused from then on).
 */
export function keysSection(service: string, initial: Keys): HTMLElement {
  const body = h('div', { class: 'keys' });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const render = (keys: Keys): void =>
    replace(
      body,
      (['primary', 'secondary'] as const).map((which) => keyRow(service, which, keys[which], status, render)),
    );
  render(initial);
  return h(
    'section',
    { 'aria-labelledby': 'keys-title' },
    h('h2', { id: 'keys-title' }, 'Keys'),
    h(
      'p',
      { class: 'help' },
      'Callers send one of these as ',
      h('code', null, 'Authorization: Bearer KEY'),
      '. Regenerate one while clients use the other.',
    ),
    body,
    status,
  );
}

function keyRow(
  service: string,
  which: 'primary' | 'secondary',
  value: string,
  status: HTMLElement,
  render: (keys: Keys) => void,
): HTMLElement {
  const id = `key-${which}`;
  const input = h('input', {
    id,
    type: 'password',
    readonly: true,
    value,
    class: 'key-value',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-key': which,
  });
  const show = h('button', { type: 'button', 'aria-pressed': 'false', 'aria-controls': id }, 'Show');
  show.addEventListener('click', () => {
    const visible = input.type === 'password';
    input.type = visible ? 'text' : 'password';
    show.textContent = visible ? 'Hide' : 'Show';
    show.setAttribute('aria-pressed', String(visible));
  });
  const copy = h('button', { type: 'button', 'aria-label': `Copy the ${which} key` }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = `The ${which} key was copied to the clipboard.`;
    } catch {
      // No clipboard permission: select the text so Ctrl+C works.
      input.type = 'text';
      input.select();
      status.textContent = `Press Ctrl+C to copy the selected ${which} key.`;
    }
  });
  const regenerate = h(
    'button',
    { type: 'button', class: 'danger', 'aria-label': `Regenerate the ${which} key` },
    'Regenerate',
  );
  regenerate.addEventListener('click', async () => {
    if (
      !window.confirm(
        `Regenerate the ${which} key of "${service}"? Clients using the current ${which} key will be refused.`,
      )
    )
      return;
    regenerate.disabled = true;
    status.textContent = `Regenerating the ${which} key…`;
    try {
      const keys = await postJson<Keys>(`/services/${encodeURIComponent(service)}/keys/regenerate`, { key: which });
      render(keys);
      status.textContent = `The ${which} key was regenerated; the old one is now refused.`;
      document.getElementById(`key-${which}`)?.focus();
    } catch (error) {
      status.textContent = `Could not regenerate the ${which} key: ${(error as Error).message}`;
      regenerate.disabled = false;
    }
  });
  return h(
    'div',
    { class: 'key-row' },
    h('label', { for: id }, `${which[0]!.toUpperCase()}${which.slice(1)} key`),
    h('div', { class: 'key-controls' }, input, show, copy, regenerate),
  );
}
