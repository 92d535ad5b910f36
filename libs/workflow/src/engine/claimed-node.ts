import type { RunAuditContext } from '../runs/run-audit.js';

/** One attempt of a node, claimed by a worker, with what executing it needs (loaded in one transaction). */
export interface ClaimedNode {
  runId: string;
  nodeId: string;
  attempt: number;
  run: {
    /** SPEC §12.1: the run's tenant, whose profiles and allowed hosts its nodes use. */
    tenant: string;
    workflowName: string;
    workflowVersion: number;
    agentId: string | null;
    input: Record<string, unknown>;
    userIss: string;
    userSub: string;
    userScopes: string[];
    subjectToken: { ciphertext: Buffer; keyId: string } | null;
    subjectTokenExpiresAt: Date | null;
    /** The W3C traceparent the run was started with; each downstream call sends a child of it. */
    traceparent: string | null;
  };
  /** Outputs of the run's succeeded nodes, for templates. */
  outputs: Record<string, { output: unknown }>;
  /**
   * The subject token as this chain last opened it: the next step of the chain reuses it while the
   * stored ciphertext is the same (a resume seals a new one), instead of decrypting it again.
   */
  opened?: OpenedSubjectToken;
}

export interface OpenedSubjectToken {
  ciphertext: Buffer;
  token: string;
  /** Its `subjectTokenDigest`. */
  digest: string;
}

/**
 * The claim's subject token in the clear: the one this chain opened before while the stored
 * ciphertext is byte for byte the same, else `open`ed now (and kept on the claim for the next step).
 * A resume seals a new ciphertext, so a chain never goes on with a replaced token.
 */
export function openedSubjectToken(
  claim: ClaimedNode,
  open: (sealed: { ciphertext: Buffer; keyId: string }) => Omit<OpenedSubjectToken, 'ciphertext'>,
): OpenedSubjectToken {
  const sealed = claim.run.subjectToken;
  if (!sealed) throw new Error(`run ${claim.runId} has no stored subject token to open`);
  if (claim.opened?.ciphertext.equals(sealed.ciphertext)) return claim.opened;
  claim.opened = { ciphertext: sealed.ciphertext, ...open(sealed) };
  return claim.opened;
}

/** The next step of the same chain starts from what this one opened (checked again when used). */
export function carryOpenedToken(from: ClaimedNode, to: ClaimedNode): void {
  if (from.opened && from.runId === to.runId) to.opened = from.opened;
}

/** The run facts every audit entry of this attempt repeats. */
export function auditContext(node: ClaimedNode): RunAuditContext {
  return {
    runId: node.runId,
    workflow: node.run.workflowName,
    agentId: node.run.agentId,
    userId: node.run.userSub,
    issuer: node.run.userIss,
  };
}
