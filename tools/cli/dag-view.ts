import type { BatonSchemas } from '../../libs/client/src/index.js';

type RunDetail = BatonSchemas['RunDetail'];

const MARK: Record<string, string> = {
  pending: '·',
  queued: '…',
  running: '▶',
  waiting_for_human: '?',
  succeeded: '✔',
  failed: '✖',
  skipped: '–',
  cancelled: '⊘',
};

/** The run as terminal lines: a header, then one line per node with its status, attempts and scopes or error. */
export function renderRun(run: RunDetail): string[] {
  const lines = [
    `run ${run.id}  ${run.workflow.name} v${run.workflow.version}  ${run.status}${run.error ? `  (${run.error.code}: ${run.error.message})` : ''}`,
  ];
  const width = Math.max(0, ...run.nodes.map((n) => n.id.length));
  for (const node of run.nodes) {
    const detail = node.error
      ? `${node.error.code}: ${node.error.message}`
      : node.grantedScopes?.length
        ? `scopes ${node.grantedScopes.join(' ')}`
        : '';
    const attempts = node.attempts > 1 ? ` ×${node.attempts}` : '';
    lines.push(
      `  ${MARK[node.status] ?? ' '} ${node.id.padEnd(width)}  ${node.status}${attempts}${detail ? `  ${detail}` : ''}`,
    );
  }
  // SPEC §11: where the run sits in its tree.
  if (run.parentRunId) lines.push(`  parent ${run.parentRunId}  depth ${run.depth}`);
  for (const child of run.children ?? [])
    lines.push(
      `  ↳ ${child.nodeId}  child ${child.id}  ${child.workflow.name} v${child.workflow.version}  ${child.status}`,
    );
  return lines;
}

export const TERMINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled'];
