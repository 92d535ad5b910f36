/** A preflight answer (SPEC §12.2), as `baton preflight` prints it. */
export interface PreflightLike {
  workflow: { name: string; version: number };
  ready: boolean;
  subjectToken: { expiresAt: string };
  problems: { path: string; message: string }[];
  nodes: { id: string; type: string; verdict: string; granted: string[]; missing: string[] }[];
}

/** A summary line, one line per input problem, one line per node (`id type verdict`, then granted or missing). */
export function preflightLines(answer: PreflightLike): string[] {
  return [
    `${answer.workflow.name} version ${answer.workflow.version}: ${answer.ready ? 'ready' : 'not ready'} (token expires ${answer.subjectToken.expiresAt})`,
    ...answer.problems.map((p) => `problem\t${p.path}\t${p.message}`),
    ...answer.nodes.map((n) => {
      const scopes =
        n.missing.length > 0
          ? `missing ${n.missing.join(' ')}`
          : n.granted.length > 0
            ? `granted ${n.granted.join(' ')}`
            : '';
      return [n.id, n.type, n.verdict, scopes].filter(Boolean).join('\t');
    }),
  ];
}
