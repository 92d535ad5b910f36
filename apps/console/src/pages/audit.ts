import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BatonOperations } from '@baton/client';
import { api, ok, type Schemas } from '../api.js';
import { currentToken } from '../auth.js';
import { h } from '../dom.js';
import type { PageContext } from './page.js';

type AuditQuery = NonNullable<BatonOperations['listAuditEntries']['parameters']['query']>;
const FIELDS = ['runId', 'userId', 'issuer', 'agentId', 'workflow', 'operation'] as const;

/** Audit: the §7 filters, success/failure per bucket (uPlot), the entries, and Export. */
export async function auditPage(ctx: PageContext): Promise<void> {
  const inputs = Object.fromEntries(
    FIELDS.map((f) => [f, h('input', { id: `audit-${f}`, name: f, type: 'text' })]),
  ) as Record<(typeof FIELDS)[number], HTMLInputElement>;
  const success = h(
    'select',
    { id: 'audit-success', name: 'success' },
    h('option', { value: '' }, 'any'),
    h('option', { value: 'true' }, 'success'),
    h('option', { value: 'false' }, 'failure'),
  );
  const from = h('input', { id: 'audit-from', name: 'from', type: 'datetime-local' });
  const to = h('input', { id: 'audit-to', name: 'to', type: 'datetime-local' });
  const chart = h('div', { class: 'chart', role: 'img', 'aria-label': 'Successes and failures per bucket' });
  const body = h('tbody');
  const message = h('p', { role: 'status' });
  const field = (label: string, input: HTMLElement, id: string) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const exportButton = h('button', { type: 'button' }, 'Export');
  exportButton.addEventListener('click', () => void exportEntries());
  ctx.main.append(
    h('h1', {}, 'Audit'),
    h(
      'form',
      {
        class: 'filters grid',
        role: 'search',
        'aria-label': 'Filter audit entries',
        onsubmit: (e: Event) => (e.preventDefault(), void load()),
      },
      ...FIELDS.map((f) =>
        field(
          f === 'runId'
            ? 'Run id'
            : f === 'userId'
              ? 'User'
              : f === 'agentId'
                ? 'Agent'
                : f[0]!.toUpperCase() + f.slice(1),
          inputs[f],
          `audit-${f}`,
        ),
      ),
      field('Outcome', success, 'audit-success'),
      field('From', from, 'audit-from'),
      field('To', to, 'audit-to'),
      h('div', { class: 'field buttons' }, h('button', { type: 'submit' }, 'Apply filters')),
    ),
    h('div', { class: 'export' }, exportButton),
    message,
    h('h2', {}, 'Success and failure'),
    chart,
    h('h2', {}, 'Entries'),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['At', 'Operation', 'Run', 'Node', 'User', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        body,
      ),
    ),
  );

  function query(): AuditQuery & Record<string, unknown> {
    const q: Record<string, unknown> = {};
    for (const f of FIELDS) if (inputs[f].value.trim()) q[f] = inputs[f].value.trim();
    if (success.value) q.success = success.value === 'true';
    if (from.value) q.from = new Date(from.value).toISOString();
    if (to.value) q.to = new Date(to.value).toISOString();
    return q as AuditQuery & Record<string, unknown>;
  }

  async function load(): Promise<void> {
    message.textContent = '';
    try {
      const q = query();
      const page = ok(await api.GET('/v1/audit', { params: { query: { ...q, limit: 100 } } }));
      body.replaceChildren(...page.items.map(row));
      if (page.items.length === 0) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No entries.')));
      await drawChart(q);
    } catch (err) {
      message.textContent = (err as Error).message;
    }
  }

  async function drawChart(q: Record<string, unknown>): Promise<void> {
    const toTime = q.to ? new Date(String(q.to)) : new Date(Date.now() + 60_000);
    const fromTime = q.from ? new Date(String(q.from)) : new Date(toTime.getTime() - 3600_000);
    const spanMs = toTime.getTime() - fromTime.getTime();
    const bucket = spanMs <= 6 * 3600_000 ? 'minute' : spanMs <= 14 * 86400_000 ? 'hour' : 'day';
    const stats = ok(
      await api.GET('/v1/audit/stats', {
        params: {
          query: {
            from: fromTime.toISOString(),
            to: toTime.toISOString(),
            bucket,
            ...(q.userId ? { userId: String(q.userId) } : {}),
            ...(q.issuer ? { issuer: String(q.issuer) } : {}),
          },
        },
      }),
    );
    const byStart = new Map<number, { success: number; failure: number }>();
    for (const item of stats.items) {
      const t = Date.parse(item.start) / 1000;
      const b = byStart.get(t) ?? { success: 0, failure: 0 };
      b.success += item.success;
      b.failure += item.failure;
      byStart.set(t, b);
    }
    const xs = [...byStart.keys()].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      xs,
      xs.map((x) => byStart.get(x)!.success),
      xs.map((x) => byStart.get(x)!.failure),
    ];
    chart.replaceChildren();
    const width = Math.max(240, Math.min(chart.clientWidth || 600, 900));
    const bars = uPlot.paths.bars!({ size: [0.6, 40] });
    new uPlot(
      {
        width,
        height: 200,
        series: [
          {},
          { label: 'success', stroke: '#1a7f37', fill: '#1a7f3766', paths: bars },
          { label: 'failure', stroke: '#cf222e', fill: '#cf222e66', paths: bars },
        ],
        axes: [{}, { size: 40 }],
        scales: { x: { time: true } },
      },
      data,
      chart,
    );
    chart.append(
      h(
        'p',
        { class: 'muted' },
        `${stats.items.length === 0 ? 'No entries' : `${xs.length} buckets`} per ${bucket}, ${fromTime.toLocaleString()} – ${toTime.toLocaleString()}`,
      ),
    );
  }

  async function exportEntries(): Promise<void> {
    const q = query();
    const params = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
    // The export endpoint's NDJSON (SPEC §7), saved as it came; a Blob URL carries no token.
    const response = await fetch(`/v1/audit/export?${params}`, {
      headers: { authorization: `Bearer ${currentToken() ?? ''}` },
    });
    if (!response.ok) {
      message.textContent = `Export failed: ${response.status}`;
      return;
    }
    const text = await response.text();
    const blob = new Blob([text], { type: 'application/x-ndjson' });
    const link = h('a', { href: URL.createObjectURL(blob), download: 'baton-audit.ndjson' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    message.textContent = `Exported ${text.split('\n').filter(Boolean).length} entries`;
  }

  await load();
}

function row(entry: Schemas['AuditEntry']): HTMLElement {
  return h(
    'tr',
    { class: entry.success ? 'ok' : 'fail' },
    h('td', {}, h('time', { datetime: entry.at }, new Date(entry.at).toLocaleString())),
    h('td', {}, entry.operation),
    h(
      'td',
      { class: 'id' },
      entry.runId ? h('a', { href: `/console/runs/${entry.runId}` }, entry.runId.slice(0, 8)) : '—',
    ),
    h('td', {}, entry.nodeId ?? '—'),
    h('td', {}, entry.userId ?? '—'),
    h('td', {}, entry.success ? 'success' : `failure${entry.error ? `: ${entry.error}` : ''}`),
  );
}
