import createClient from 'openapi-fetch';
import { completeSignIn, currentToken, signIn, signOut, type ConsoleSettings } from './auth.js';

const app = document.getElementById('app')!;
let settings: ConsoleSettings;

function api() {
  return createClient({ baseUrl: window.location.origin, headers: { authorization: `Bearer ${currentToken() ?? ''}` } });
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function nav(): HTMLElement {
  const links = ['Runs', 'Escalations', 'Audit', 'Workflows'].map((name) =>
    el('a', { href: `/console/${name.toLowerCase()}` }, name),
  );
  const out = el('button', { type: 'button' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut();
    render();
  });
  return el('nav', {}, ...links, out);
}

async function runsPage(main: HTMLElement): Promise<void> {
  const { data } = await (api() as any).GET('/v1/runs', {});
  const table = el('table', {}, el('thead', {}, el('tr', {}, ...['run', 'workflow', 'status', 'user', 'started'].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const run of (data?.items ?? []) as any[]) {
    body.append(el('tr', {}, el('td', {}, el('a', { href: `/console/runs/${run.id}` }, run.id)), el('td', {}, run.workflow?.name ?? run.workflowName ?? ''), el('td', {}, run.status), el('td', {}, run.userId ?? ''), el('td', {}, run.createdAt ?? '')));
  }
  table.append(body);
  main.append(el('h1', {}, 'Runs'), table);
}

async function render(): Promise<void> {
  app.replaceChildren();
  if (!currentToken()) {
    const button = el('button', { type: 'button' }, 'Sign in');
    button.addEventListener('click', () => void signIn(settings, window.location.pathname));
    app.append(el('main', {}, el('h1', {}, 'Baton'), button));
    return;
  }
  const main = el('main');
  app.append(nav(), main);
  await runsPage(main);
}

async function start(): Promise<void> {
  settings = await (await fetch('/console/config.json')).json();
  if (window.location.pathname === '/console/callback') {
    const returnTo = await completeSignIn(settings);
    window.history.replaceState(null, '', returnTo === '/console/callback' ? '/console/' : returnTo);
  }
  await render();
}

void start();
