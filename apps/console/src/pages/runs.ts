import { api, followEvents, ok } from '../api.js';
import { duration, h, statusBadge } from '../dom.js';
import type { PageContext } from './page.js';

const STATUSES = ['pending', 'running', 'waiting_for_human', 'succeeded', 'failed', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];

/** Runs: a table with status and workflow filters, refreshed when the audit stream reports a change. */
export async function runsPage(ctx: PageContext): Promise<void> {
  const status = h(
    'select',
    { id: 'runs-status' },
    h('option', { value: '' }, 'any'),
    ...STATUSES.map((s) => h('option', { value: s }, s)),
  );
  const workflow = h('input', { id: 'runs-workflow', type: 'text', placeholder: 'workflow name' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'runs' },
    h('caption', { class: 'visually-hidden' }, 'Runs'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Run', 'Workflow', 'Status', 'User', 'Started', 'Duration'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    body,
  );
  ctx.main.append(
    h('h1', {}, 'Runs'),
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Filter runs',
        onsubmit: (e: Event) => (e.preventDefault(), void load()),
      },
      h('label', { for: 'runs-status' }, 'Status'),
      status,
      h('label', { for: 'runs-workflow' }, 'Workflow'),
      workflow,
      h('button', { type: 'submit' }, 'Filter'),
    ),
    h('div', { class: 'table-scroll' }, table),
  );
  status.addEventListener('change', () => void load());

  async function load(): Promise<void> {
    const query: { status?: Status; workflow?: string; limit: number } = { limit: 50 };
    if (status.value) query.status = status.value as Status;
    if (workflow.value.trim()) query.workflow = workflow.value.trim();
    const page = ok(await api.GET('/v1/runs', { params: { query } }));
    body.replaceChildren(
      ...page.items.map((run) =>
        h(
          'tr',
          {},
          h('td', { class: 'id' }, h('a', { href: `/console/runs/${run.id}` }, run.id)),
          h('td', {}, `${run.workflow.name} v${run.workflow.version}`),
          h('td', {}, statusBadge(run.status)),
          h('td', {}, run.userId),
          h('td', {}, run.startedAt ? new Date(run.startedAt).toLocaleString() : '—'),
          h('td', {}, duration(run.startedAt, run.finishedAt)),
        ),
      ),
    );
    if (page.items.length === 0) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No runs.')));
  }
  await load();
  liveRefresh(ctx, (op) => op.startsWith('run.') || op.startsWith('node.'), load);
}

/**
 * Live refresh of a list: the audit stream (§13) when the token may read it, else a poll every 5 s.
 * Refreshes are coalesced so a burst of entries costs one reload.
 */
export function liveRefresh(
  ctx: PageContext,
  matters: (operation: string) => boolean,
  reload: () => Promise<void>,
): void {
  let scheduled: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    scheduled ??= setTimeout(() => {
      scheduled = undefined;
      if (!ctx.signal.aborted) reload().catch(() => undefined);
    }, 150);
  };
  const poll = setInterval(schedule, 5000);
  ctx.signal.addEventListener('abort', () => clearInterval(poll));
  void followEvents(
    '/v1/audit/stream',
    (event) => {
      const entry = event.data as { operation?: string };
      if (event.event === 'audit' && entry.operation && matters(entry.operation)) schedule();
    },
    ctx.signal,
  );
}
