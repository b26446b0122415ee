import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { SIGNED_OUT, clearKey, getKey } from './api.js';
import { h, replace } from './dom.js';
import { renderLogin } from './pages/login.js';
import { renderModel } from './pages/model.js';
import { renderOverview } from './pages/overview.js';
import { renderService } from './pages/service.js';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const workspaceName = document.getElementById('workspace-name')!;

/** Set by a page that polls; called before the next page renders. */
let stopPage: (() => void) | undefined;

function signOut(message?: string): void {
  clearKey();
  route(message);
}

function renderNav(signedIn: boolean): void {
  replace(
    nav,
    signedIn
      ? [
          h('a', { href: '#/' }, 'Overview'),
          h('button', { type: 'button', class: 'link-button', onclick: () => signOut() }, 'Sign out'),
        ]
      : [],
  );
}

/** Renders the page of the current hash (`#/`, `#/services/NAME`, `#/models/NAME/VERSION`), or the sign-in form. */
function route(message?: string): void {
  stopPage?.();
  stopPage = undefined;
  const key = getKey();
  renderNav(key !== null);
  if (key === null) {
    workspaceName.textContent = '';
    renderLogin(main, {
      message,
      onSignedIn: (workspace) => {
        workspaceName.textContent = workspace;
        route();
      },
    });
    return;
  }
  const path = location.hash.replace(/^#/, '') || '/';
  const service = /^\/services\/([^/]+)$/.exec(path);
  const model = /^\/models\/([^/]+)\/(\d+)$/.exec(path);
  const ctx = {
    setWorkspace: (name: string) => (workspaceName.textContent = name),
    onStop: (fn: () => void) => (stopPage = fn),
  };
  if (service) void renderService(main, decodeURIComponent(service[1]!), ctx);
  else if (model) void renderModel(main, decodeURIComponent(model[1]!), Number(model[2]), ctx);
  else void renderOverview(main, ctx);
}

// The skip link must not change the hash (the router owns it): it moves focus to the content instead.
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => {
  route();
  // Move focus to the new page's heading, as a page load would.
  queueMicrotask(() => main.focus({ preventScroll: true }));
});
window.addEventListener(SIGNED_OUT, (event) => route((event as CustomEvent<string>).detail));
route();
