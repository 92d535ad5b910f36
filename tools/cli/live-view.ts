import type { BatonEvent, BatonSchemas } from '../../libs/client/src/index.js';

export type RunDetail = BatonSchemas['RunDetail'];
type AuditEntry = BatonSchemas['AuditEntry'];

export interface AuditTailOptions {
  runId?: string;
  userId?: string;
  issuer?: string;
  agentId?: string;
  workflow?: string;
  operation?: string[];
  success?: 'true' | 'false';
  from?: string;
}

/**
 * The run as the events of its stream (SPEC §13) leave it: a snapshot replaces it, a node event
 * replaces that node, a run event the run's own fields. Answers the same object when nothing changed.
 */
export function applyRunEvent(run: RunDetail | null, event: BatonEvent): RunDetail | null {
  switch (event.event) {
    case 'snapshot':
      return event.data as RunDetail;
    case 'run':
      return run ? { ...run, ...(event.data as Omit<RunDetail, 'nodes'>), nodes: run.nodes } : run;
    case 'node': {
      if (!run) return run;
      const node = event.data as RunDetail['nodes'][number];
      return { ...run, nodes: run.nodes.map((n) => (n.id === node.id ? node : n)) };
    }
    default:
      return run;
  }
}

/** One audit entry as a terminal line: time, operation, outcome, then what it concerns. */
export function auditLine(entry: AuditEntry): string {
  const where = [entry.workflow, entry.runId, entry.nodeId].filter(Boolean).join(' ');
  const who = entry.userId ? `user ${entry.userId}` : '';
  const what = entry.error ?? (entry.scopes?.length ? entry.scopes.join(' ') : (entry.target ?? ''));
  return [entry.at, entry.operation, entry.success ? 'ok' : 'FAILED', where, who, what].filter(Boolean).join('  ');
}
