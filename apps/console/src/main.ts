import './styles.css';
import { ApiProblem } from './api.js';
import {
  completeSignIn,
  currentIdentity,
  currentToken,
  lastSubject,
  signIn,
  signOut,
  SilentSignInFailed,
  tokenExpiresWithin,
  type ConsoleSettings,
} from './auth.js';
import { h } from './dom.js';
import { auditPage } from './pages/audit.js';
import { escalationsPage, finishResume } from './pages/escalations.js';
import type { PageContext } from './pages/page.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { workflowsPage } from './pages/workflows.js';

const root = document.getElementById('app')!;
const LINKS = [
  ['Runs', '/console/runs'],
  ['Escalations', '/console/escalations'],
  ['Audit', '/console/audit'],
  ['Workflows', '/console/workflows'],
] as const;

let settings: ConsoleSettings;
let leave: AbortController | undefined;
let flash = '';

function navigate(path: string): void {
  window.history.pushState(null, '', path);
  void render();
}

function layout(path: string): { main: HTMLElement } {
  const menu = h(
    'button',
    { type: 'button', class: 'menu', 'aria-expanded': 'false', 'aria-controls': 'nav-links' },
    'Menu',
  );
  const links = h(
    'ul',
    { id: 'nav-links', class: 'links' },
    ...LINKS.map(([name, href]) =>
      h('li', {}, h('a', { href, 'aria-current': path.startsWith(href) ? 'page' : undefined }, name)),
    ),
  );
  menu.addEventListener('click', () => {
    const open = menu.getAttribute('aria-expanded') !== 'true';
    menu.setAttribute('aria-expanded', String(open));
    links.classList.toggle('open', open);
  });
  const out = h('button', { type: 'button', class: 'signout' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut();
    navigate('/console/');
  });
  const who = currentIdentity();
  const main = h('main', { id: 'main', tabindex: '-1' });
  root.replaceChildren(
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h(
      'header',
      {},
      h('nav', { 'aria-label': 'Main' }, h('span', { class: 'brand' }, 'Baton'), menu, links),
      h('span', { class: 'who' }, who ? `${who.sub}` : ''),
      out,
    ),
    main,
  );
  if (flash) {
    main.append(h('p', { role: 'status', class: 'flash' }, flash));
    flash = '';
  }
  return { main };
}

async function render(): Promise<void> {
  leave?.abort();
  leave = new AbortController();
  const path = window.location.pathname.replace(/\/+$/, '') || '/console';
  if (!currentToken()) {
    root.replaceChildren(
      h(
        'main',
        { id: 'main', class: 'signin' },
        h('h1', {}, 'Baton console'),
        flash ? h('p', { role: 'status' }, flash) : null,
        h('p', {}, `Sign in with ${new URL(settings.issuer).host}.`),
        (() => {
          const b = h('button', { type: 'button' }, 'Sign in');
          b.addEventListener('click', () => void signIn(settings, path === '/console' ? '/console/runs' : path));
          return b;
        })(),
      ),
    );
    flash = '';
    return;
  }
  const { main } = layout(path);
  const ctx: PageContext = { main, signal: leave.signal, settings, path, navigate };
  try {
    const run = /^\/console\/runs\/([0-9a-f-]{36})$/.exec(path);
    if (run) await runPage(ctx, run[1]!);
    else if (path === '/console/escalations') await escalationsPage(ctx);
    else if (path === '/console/audit') await auditPage(ctx);
    else if (path === '/console/workflows') await workflowsPage(ctx);
    else await runsPage(ctx);
  } catch (err) {
    if (err instanceof ApiProblem && err.status === 401) return reauthenticate(path);
    main.append(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
}

/**
 * Silent re-login: a top-level redirect to the issuer with prompt=none, back to the same page.
 * With a session at the issuer it returns at once; without one, the Sign in page says so.
 */
function reauthenticate(path: string): void {
  const loginHint = lastSubject();
  signOut();
  void signIn(settings, path, { prompt: 'none', loginHint });
}

// Links inside the app navigate without a reload (tokens live in memory).
document.addEventListener('click', (event) => {
  const link = (event.target as HTMLElement).closest?.('a');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith('/console') || link.hasAttribute('download'))
    return;
  event.preventDefault();
  navigate(url.pathname);
});
window.addEventListener('popstate', () => void render());

const TENANT_KEY = 'baton.console.tenant';

async function start(): Promise<void> {
  // SPEC §12.1: each tenant signs in at its own issuer; `/console?tenant=acme` picks it for the session.
  const named = new URLSearchParams(window.location.search).get('tenant');
  if (named) sessionStorage.setItem(TENANT_KEY, named);
  const tenant = named ?? sessionStorage.getItem(TENANT_KEY);
  const response = await fetch(`/console/config.json${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`);
  if (!response.ok) {
    root.replaceChildren(
      h(
        'main',
        {},
        h('h1', {}, 'Baton console'),
        h('p', { role: 'alert' }, 'The console is not configured (baton.yaml console:).'),
      ),
    );
    return;
  }
  settings = await response.json();
  if (window.location.pathname === '/console/callback') {
    try {
      const done = await completeSignIn(settings);
      window.history.replaceState(null, '', done.returnTo);
      if (done.resumeEscalation) flash = await finishResume(done.resumeEscalation, currentToken()!);
    } catch (err) {
      if (err instanceof SilentSignInFailed) {
        window.history.replaceState(null, '', err.message);
        flash = 'Your session ended: sign in again.';
      } else flash = `Sign-in failed: ${(err as Error).message}`;
    }
  }
  // Before the token expires (checked every 10 s, acting 30 s ahead), re-login silently, back to the same page.
  setInterval(() => {
    if (tokenExpiresWithin(30_000) && document.querySelector('.signout')) reauthenticate(window.location.pathname);
  }, 10_000);
  await render();
}

void start();
