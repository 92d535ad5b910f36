import type { AuditEntryView, BatonApi } from './baton-api.js';

/** A run's whole audit trail, oldest first, read page by page from `GET /v1/runs/{id}/audit`. */
export async function readAuditTrail(
  api: BatonApi,
  token: string,
  runId: string,
  pageSize = 10,
): Promise<{ entries: AuditEntryView[]; pages: number }> {
  const entries: AuditEntryView[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await api.auditPage(token, runId, pageSize, cursor);
    entries.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 1000);
  return { entries, pages };
}

export const AUDIT_COLUMNS = ['#', 'operation', 'node', 'granted scopes', 'target', 'outcome'] as const;

/**
 * Columns that give up width (widest first) when the table must fit a terminal, and how narrow each
 * may get: the granted scopes of a node ("expenses:write expenses:notify") stay whole.
 */
const SHRINKABLE: Record<number, number> = { 3: 30, 4: 20, 5: 16 };

/**
 * The trail as a plain-text table: one row per entry, columns padded to fit. With `maxWidth` (a
 * terminal's width) the scopes, target and outcome columns are shortened in the middle ("…") so no
 * row wraps.
 */
export function auditTable(entries: readonly AuditEntryView[], maxWidth = Infinity): string[] {
  const rows = entries.map((e, i) => [
    String(i + 1),
    e.operation,
    e.nodeId ?? '-',
    e.scopes && e.scopes.length > 0 ? e.scopes.join(' ') : '-',
    e.target ?? '-',
    outcome(e),
  ]);
  const widths = AUDIT_COLUMNS.map((title, c) => Math.max(title.length, ...rows.map((r) => r[c]!.length)));
  const total = () => widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  while (total() > maxWidth) {
    const widest = Object.entries(SHRINKABLE)
      .filter(([c, min]) => widths[Number(c)]! > min)
      .map(([c]) => Number(c))
      .sort((a, b) => widths[b]! - widths[a]!)[0];
    if (widest === undefined) break;
    widths[widest]! -= 1;
  }
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, c) => {
        const text = shorten(cell, widths[c]!);
        return c === 0 ? text.padStart(widths[c]!) : text.padEnd(widths[c]!);
      })
      .join('  ')
      .trimEnd();
  return [format(AUDIT_COLUMNS), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(format)];
}

/** `text` in at most `width` characters, cut in the middle: both ends of a URL say the most. */
function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

/** "ok" or "failed", with the one detail that says most about the entry. */
export function outcome(e: AuditEntryView): string {
  const d = e.details ?? {};
  const extra: string[] = [];
  if (e.error) extra.push(e.error);
  if (e.operation === 'escalation.created' && typeof d.reason === 'string') extra.push(d.reason);
  if (e.operation === 'escalation.resolved') extra.push(`${String(d.action)} by ${String(d.by)}`);
  if (e.operation === 'token.used' && d.status !== undefined) extra.push(`HTTP ${String(d.status)}`);
  if (e.operation === 'token.exchanged' && d.cached === true) extra.push('cached');
  return `${e.success ? 'ok' : 'failed'}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
}
