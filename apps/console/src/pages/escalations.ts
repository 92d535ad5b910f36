import { api, ok, type Schemas } from '../api.js';
import { currentIdentity, signIn, type ConsoleSettings } from '../auth.js';
import { ago, h } from '../dom.js';
import type { PageContext } from './page.js';
import { liveRefresh } from './runs.js';

type Escalation = Schemas['Escalation'];
type Action = 'approve' | 'reject' | 'retry' | 'abort' | 'resume';

/** Open escalations with their actions; Resume signs the run's own user in again first. */
export async function escalationsPage(ctx: PageContext): Promise<void> {
  const list = h('div', { class: 'escalations' });
  const message = h('p', { role: 'status' });
  ctx.main.append(h('h1', {}, 'Escalations'), message, list);

  async function load(): Promise<void> {
    const page = ok(await api.GET('/v1/escalations', { params: { query: { limit: 100 } } }));
    const open = page.items.filter((e) => e.status === 'open');
    const cards = await Promise.all(open.map((e) => card(e)));
    list.replaceChildren(...cards);
    if (open.length === 0) list.append(h('p', {}, 'No open escalations.'));
  }

  async function resolve(escalation: Escalation, action: Action, note?: string): Promise<void> {
    try {
      ok(
        await api.POST('/v1/escalations/{id}/resolve', {
          params: { path: { id: escalation.id } },
          body: { action, ...(note && { note }) },
        }),
      );
      message.textContent = `${action}: done for ${escalation.nodeId}`;
      await load();
    } catch (err) {
      message.textContent = (err as Error).message;
    }
  }

  async function card(e: Escalation): Promise<HTMLElement> {
    const run = await api.GET('/v1/runs/{id}', { params: { path: { id: e.runId } } });
    const owner = run.data?.userId;
    const me = currentIdentity()?.sub;
    const note = h('textarea', { id: `note-${e.id}`, rows: 2 });
    const button = (label: string, onClick: () => void, disabled?: string) => {
      const b = h('button', { type: 'button', disabled: disabled !== undefined, title: disabled }, label);
      b.addEventListener('click', onClick);
      return b;
    };
    const actions: HTMLElement[] = [];
    if (e.reason === 'approval_required') {
      actions.push(
        button('Approve', () => void resolve(e, 'approve', note.value.trim())),
        button('Reject', () => void resolve(e, 'reject', note.value.trim())),
      );
    } else {
      const resumeBlocked =
        owner === undefined
          ? 'the run is not visible to you'
          : owner !== me
            ? `only ${owner}, the run's user, can resume (they sign in again)`
            : undefined;
      const resume = button('Resume', () => void startResume(ctx.settings, e, owner!), resumeBlocked);
      actions.push(
        button('Retry', () => void resolve(e, 'retry', note.value.trim())),
        resume,
      );
      if (resumeBlocked) actions.push(h('span', { class: 'reason' }, `Resume: ${resumeBlocked}`));
    }
    actions.push(button('Abort', () => void resolve(e, 'abort', note.value.trim())));
    return h(
      'article',
      { class: 'escalation', 'aria-label': `Escalation ${e.nodeId} of ${e.workflow}` },
      h('h2', {}, `${e.reason} — ${e.workflow} / ${e.nodeId}`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Run'),
        h('dd', {}, h('a', { href: `/console/runs/${e.runId}` }, e.runId)),
        h('dt', {}, 'Age'),
        h('dd', {}, ago(e.createdAt)),
        h('dt', {}, 'Expires'),
        h('dd', {}, ago(e.expiresAt)),
      ),
      e.prompt ? h('p', { class: 'prompt' }, e.prompt) : null,
      e.detail ? h('p', { class: 'muted' }, e.detail) : null,
      h('label', { for: `note-${e.id}` }, 'Note'),
      note,
      h('div', { class: 'actions' }, ...actions),
    );
  }

  await load();
  liveRefresh(ctx, (op) => op.startsWith('escalation.'), load);
}

/** The escalated node's scopes (required and optional, with the workflow's defaults). */
async function nodeScopes(e: Escalation, runId: string): Promise<string[]> {
  const run = ok(await api.GET('/v1/runs/{id}', { params: { path: { id: runId } } }));
  const version = ok(
    await api.GET('/v1/workflows/{name}/versions/{version}', {
      params: { path: { name: run.workflow.name, version: run.workflow.version } },
    }),
  );
  const node = version.nodes.find((n) => n.id === e.nodeId);
  const oauth = node?.oauth ?? {};
  const defaults = version.defaults?.oauth ?? {};
  return [
    ...(oauth.requiredScopes ?? defaults.requiredScopes ?? []),
    ...(oauth.optionalScopes ?? defaults.optionalScopes ?? []),
  ];
}

/** Resume: sign the run's user in again (login_hint = their sub) with the node's scopes. */
async function startResume(settings: ConsoleSettings, e: Escalation, owner: string): Promise<void> {
  const scopes = await nodeScopes(e, e.runId);
  await signIn(settings, '/console/escalations', {
    loginHint: owner,
    extraScopes: scopes,
    prompt: 'login',
    resumeEscalation: e.id,
  });
}

/** After the Resume sign-in: resolve with the fresh token (now also the console's). */
export async function finishResume(escalationId: string, token: string): Promise<string> {
  const result = await api.POST('/v1/escalations/{id}/resolve', {
    params: { path: { id: escalationId } },
    body: { action: 'resume', subjectToken: token },
  });
  ok(result);
  return 'Resumed with a fresh sign-in.';
}
