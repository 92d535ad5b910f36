import { api, followEvents, ok, type Schemas } from '../api.js';
import { duration, h, json, statusBadge } from '../dom.js';
import { drawDag, type DagNode } from './dag.js';
import type { PageContext } from './page.js';

type Run = Schemas['RunDetail'];
type AuditEntry = Schemas['AuditEntry'];

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** One run: the DAG, each node's details, actions, the audit timeline and delegation chains, live. */
export async function runPage(ctx: PageContext, id: string): Promise<void> {
  let run = ok(await api.GET('/v1/runs/{id}', { params: { path: { id } } })) as Run;
  const version = ok(
    await api.GET('/v1/workflows/{name}/versions/{version}', {
      params: { path: { name: run.workflow.name, version: run.workflow.version } },
    }),
  );
  const definition: DagNode[] = version.nodes.map((n) => ({ id: n.id, dependsOn: n.dependsOn ?? [] }));
  const audit: AuditEntry[] = [];
  const seen = new Set<string>();
  const header = h('div', { class: 'run-header' });
  const graph = h('div', { class: 'dag-wrap' });
  const nodesList = h('div', { class: 'nodes' });
  const children = h('section', { 'aria-labelledby': 'children-h' });
  const timeline = h('ol', { class: 'timeline' });
  const chains = h('div', { class: 'chains' });
  const verdict = h('p', { role: 'status', class: 'verdict' });
  const actions = h('div', { class: 'actions' });

  ctx.main.append(
    h('h1', {}, 'Run ', h('span', { class: 'id' }, id)),
    header,
    actions,
    verdict,
    h('h2', {}, 'Graph'),
    graph,
    h('h2', {}, 'Nodes'),
    nodesList,
    children,
    h('h2', {}, 'Delegation chain of each exchange'),
    chains,
    h('h2', {}, 'Audit timeline'),
    timeline,
  );

  const cancel = h('button', { type: 'button' }, 'Cancel run');
  const confirm = h('button', { type: 'button', class: 'danger', hidden: true }, 'Confirm');
  const verify = h('button', { type: 'button' }, 'Verify chain');
  cancel.addEventListener('click', () => {
    confirm.hidden = false;
    confirm.focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.hidden = true;
    try {
      ok(await api.POST('/v1/runs/{id}/cancel', { params: { path: { id } } }));
      await refresh();
    } catch (err) {
      verdict.textContent = (err as Error).message;
    }
  });
  verify.addEventListener('click', async () => {
    try {
      const result = ok(await api.GET('/v1/runs/{id}/audit/verify', { params: { path: { id } } }));
      verdict.textContent = result.valid
        ? `Chain valid (${result.entries} entries)`
        : `Chain broken at entry ${result.brokenAt} (${result.entries} entries)`;
    } catch (err) {
      verdict.textContent = (err as Error).message;
    }
  });
  actions.append(cancel, confirm, verify);

  async function refresh(): Promise<void> {
    run = ok(await api.GET('/v1/runs/{id}', { params: { path: { id } } })) as Run;
    await render();
  }

  async function render(): Promise<void> {
    header.replaceChildren();
    header.append(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Workflow'),
        h('dd', {}, `${run.workflow.name} v${run.workflow.version}`),
        h('dt', {}, 'Status'),
        h('dd', { 'data-testid': 'run-status' }, statusBadge(run.status)),
        h('dt', {}, 'User'),
        h('dd', {}, run.userId),
        h('dt', {}, 'Duration'),
        h('dd', {}, duration(run.startedAt, run.finishedAt)),
        ...(run.parentRunId
          ? [
              h('dt', {}, 'Parent run'),
              h(
                'dd',
                {},
                h('a', { href: `/console/runs/${run.parentRunId}` }, run.parentRunId),
                ` (depth ${run.depth})`,
              ),
            ]
          : []),
      ),
    );
    if (run.error) header.append(h('p', { class: 'error' }, `${run.error.code}: ${run.error.message}`));
    cancel.disabled = TERMINAL.has(run.status);
    graph.replaceChildren(await drawDag(definition, run.nodes));
    nodesList.replaceChildren(
      ...run.nodes.map((node) =>
        h(
          'details',
          { class: `node status-${node.status}`, open: node.status === 'failed' || undefined },
          h(
            'summary',
            {},
            h('strong', {}, node.id),
            ' ',
            statusBadge(node.status),
            ` ${node.type}, attempts ${node.attempts}`,
          ),
          h('p', {}, 'Granted scopes: ', node.grantedScopes?.length ? node.grantedScopes.join(' ') : '—'),
          node.error ? h('p', { class: 'error' }, `${node.error.code}: ${node.error.message}`) : null,
          node.output !== null && node.output !== undefined ? json(node.output) : null,
        ),
      ),
    );
    children.replaceChildren();
    if (run.children?.length) {
      children.append(
        h('h2', { id: 'children-h' }, 'Child runs'),
        h(
          'ul',
          {},
          ...run.children.map((c) =>
            h(
              'li',
              {},
              h('a', { href: `/console/runs/${c.id}` }, c.id),
              ` ${c.workflow.name} v${c.workflow.version} (node ${c.nodeId}) `,
              statusBadge(c.status),
            ),
          ),
        ),
      );
    }
  }

  function addAudit(entry: AuditEntry): void {
    if (seen.has(entry.id)) return;
    seen.add(entry.id);
    audit.push(entry);
    timeline.append(
      h(
        'li',
        { class: entry.success ? 'ok' : 'fail' },
        h('time', { datetime: entry.at }, new Date(entry.at).toLocaleTimeString()),
        ' ',
        h('strong', {}, entry.operation),
        entry.nodeId ? ` ${entry.nodeId}` : '',
        entry.scopes?.length ? ` [${entry.scopes.join(' ')}]` : '',
        entry.error ? ` — ${entry.error}` : '',
      ),
    );
    if (entry.operation === 'token.exchanged') chains.append(delegationChain(entry));
  }

  await render();
  const page = ok(await api.GET('/v1/runs/{id}/audit', { params: { path: { id }, query: { limit: 200 } } }));
  for (const entry of page.items.slice().sort((a, b) => Number(a.id) - Number(b.id))) addAudit(entry);
  if (chains.childElementCount === 0) chains.append(h('p', { class: 'muted' }, 'No token exchanges yet.'));

  // Live (§13): node, run and audit events from the run's stream; the snapshot replaces the run.
  let rendering = Promise.resolve();
  void followEvents(
    `/v1/runs/${id}/events`,
    (event) => {
      if (event.event === 'audit') {
        chains.querySelector('.muted')?.remove();
        addAudit(event.data as AuditEntry);
        return;
      }
      if (event.event === 'snapshot' || event.event === 'run') run = { ...run, ...(event.data as Run) };
      else if (event.event === 'node') {
        const node = event.data as Schemas['Node'];
        run = { ...run, nodes: run.nodes.map((n) => (n.id === node.id ? { ...n, ...node } : n)) };
      } else return;
      rendering = rendering.then(render).catch(() => undefined);
    },
    ctx.signal,
  );
}

/** Who acted for whom in one exchange: the user, then each `act` inward (RFC 8693 §4.1). */
function delegationChain(entry: AuditEntry): HTMLElement {
  const details = (entry.details ?? {}) as { act?: unknown; actor?: unknown };
  const actors: string[] = [];
  let act = (details.act ?? details.actor) as { sub?: string; act?: unknown } | undefined;
  while (act && typeof act === 'object' && actors.length < 16) {
    actors.push(String(act.sub ?? '?'));
    act = act.act as typeof act;
  }
  return h(
    'p',
    { class: 'chain' },
    h('strong', {}, entry.nodeId ?? 'exchange'),
    ': ',
    entry.userId ?? '?',
    ...actors.map((a) => ` ← ${a}`),
    entry.target ? ` → ${entry.target}` : '',
    entry.scopes?.length ? ` [${entry.scopes.join(' ')}]` : '',
  );
}
