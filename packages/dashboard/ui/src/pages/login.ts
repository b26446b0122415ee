import { ApiError, api, setKey } from '../api.js';
import { h, replace } from '../dom.js';

/** The sign-in form: the workspace admin key, checked against the daemon, then kept in sessionStorage only. */
export function renderLogin(
  main: HTMLElement,
  options: { message?: string | undefined; onSignedIn: (workspace: string) => void },
): void {
  document.title = 'Sign in · tachyon';
  const input = h('input', {
    id: 'admin-key',
    name: 'admin-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'admin-key-help',
  });
  const status = h('p', { class: 'error', role: 'alert', id: 'login-error' }, options.message ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card login',
      'aria-labelledby': 'login-title',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (key === '') return;
        button.disabled = true;
        status.textContent = '';
        try {
          const session = await api<{ workspace: string }>('/session', { key });
          setKey(key);
          options.onSignedIn(session.workspace);
        } catch (error) {
          status.textContent =
            error instanceof ApiError && error.status === 401
              ? 'That key is not the admin key of this workspace.'
              : (error as Error).message;
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', { id: 'login-title' }, 'Sign in'),
    h('label', { for: 'admin-key' }, 'Workspace admin key'),
    input,
    h(
      'p',
      { id: 'admin-key-help', class: 'help' },
      'The key in ',
      h('code', null, '.tachyon/admin.key'),
      ' of the workspace. It is kept in this tab only (session storage) and sent as a bearer token.',
    ),
    status,
    button,
  );
  replace(main, form);
  input.focus();
}
