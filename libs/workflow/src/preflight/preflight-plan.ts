import { findMissingScopes, scopesToRequest, type ScopeSource } from '@baton/oauth';
import {
  EscalationReason,
  NodeType,
  ceilingOf,
  decideParentStart,
  narrowWithinDelegation,
  scopesBeyondCeiling,
  type EffectiveNode,
  type EffectiveSubWorkflowNode,
  type Problem,
} from '../domain/index.js';
import { decideExchangeFailure, type ExchangeFailure } from '../engine/decisions/exchange-failure-decision.js';

/** What a node would meet if a run started now (SPEC §12.2). */
export const PreflightVerdict = {
  Ok: 'ok',
  NoToken: 'no_token',
  InsufficientScope: 'insufficient_scope',
  ConsentRequired: 'consent_required',
  TokenRevoked: 'token_revoked',
  ExchangeFailed: 'exchange_failed',
  Approval: 'approval',
  DelegationExceeded: 'delegation_exceeded',
} as const;
export type PreflightVerdict = (typeof PreflightVerdict)[keyof typeof PreflightVerdict];
export const PREFLIGHT_VERDICTS: readonly PreflightVerdict[] = Object.values(PreflightVerdict);

/** Verdicts that do not stop a run from going through on its own (SPEC §12.2 `ready`). */
const READY_VERDICTS: ReadonlySet<PreflightVerdict> = new Set([
  PreflightVerdict.Ok,
  PreflightVerdict.NoToken,
  PreflightVerdict.Approval,
]);

export interface PreflightNode {
  id: string;
  type: string;
  profile: string | null;
  audience: string | null;
  resource: string | null;
  requiredScopes: string[];
  optionalScopes: string[];
  /** What the exchange would request: required ∪ optional, narrowed as SPEC §4.2. */
  granted: string[];
  /** Required scopes the caller lacks (and, after an exchange, those the server left out). */
  missing: string[];
  verdict: PreflightVerdict;
}

/** One distinct exchange the nodes with verdict `ok` would make: (profile, audience, resource, granted). */
export interface PlannedExchange {
  profile: string;
  audience?: string;
  resource?: string;
  scopes: string[];
  /** The nodes this exchange answers for. */
  nodeIds: string[];
}

export interface PreflightPlan {
  nodes: PreflightNode[];
  exchanges: PlannedExchange[];
}

/** SPEC §11 for preflight: the child workflow a `workflow` node would start (undefined: none found), and the depth limit. */
export interface PreflightDelegation {
  childOf(node: EffectiveSubWorkflowNode): readonly EffectiveNode[] | undefined;
  maxDepth: number;
}

/** How bad a verdict is, to pick the worst of a child's nodes for its `workflow` node (SPEC §12.2). */
const VERDICT_SEVERITY: Readonly<Record<PreflightVerdict, number>> = {
  [PreflightVerdict.Ok]: 0,
  [PreflightVerdict.NoToken]: 1,
  [PreflightVerdict.Approval]: 2,
  [PreflightVerdict.ExchangeFailed]: 3,
  [PreflightVerdict.InsufficientScope]: 4,
  [PreflightVerdict.ConsentRequired]: 5,
  [PreflightVerdict.TokenRevoked]: 6,
  [PreflightVerdict.DelegationExceeded]: 7,
};

export function worstVerdict(verdicts: readonly PreflightVerdict[]): PreflightVerdict {
  return verdicts.reduce<PreflightVerdict>(
    (worst, v) => (VERDICT_SEVERITY[v] > VERDICT_SEVERITY[worst] ? v : worst),
    PreflightVerdict.Ok,
  );
}

/**
 * A `workflow` node's verdict covers its child (SPEC §12.2, §11): depth at the limit or a child node
 * requiring a scope outside the ceiling → `delegation_exceeded` (`missing` then lists the scopes
 * beyond the ceiling); a required ceiling scope the caller lacks → `insufficient_scope`; else the
 * worst verdict of the child's nodes, each narrowed against (caller ∩ every ceiling above it),
 * recursively. Child nodes are not probed by `exchange: true`.
 */
function workflowNodeVerdict(
  node: EffectiveSubWorkflowNode,
  userScopes: readonly string[],
  ceilings: readonly (readonly string[])[],
  depth: number,
  scopeSourceOf: (profile: string) => ScopeSource | undefined,
  delegation: PreflightDelegation,
): Pick<PreflightNode, 'granted' | 'missing' | 'verdict'> {
  const oauth = node.oauth!;
  const userScopesKnown = scopeSourceOf(oauth.profile) !== 'authorization-server';
  const { granted } = narrowWithinDelegation({ node: oauth, userScopes, ceilings, userScopesKnown });
  const start = decideParentStart({
    node: oauth,
    depth,
    maxDepth: delegation.maxDepth,
    userScopes,
    ceilings,
    userScopesKnown,
  });
  if (start.kind === 'depth_exceeded') return { granted, missing: [], verdict: PreflightVerdict.DelegationExceeded };
  if (start.kind === 'insufficient_scope')
    return { granted, missing: start.missing, verdict: PreflightVerdict.InsufficientScope };
  const children = delegation.childOf(node) ?? [];
  const beyond = scopesBeyondCeiling(start.ceiling, children);
  if (beyond.length > 0) return { granted, missing: beyond, verdict: PreflightVerdict.DelegationExceeded };
  const inner = [...ceilings, ceilingOf(oauth)];
  const verdicts = children.map((child): PreflightVerdict => {
    if (child.type === NodeType.Approval) return PreflightVerdict.Approval;
    if (!child.oauth) return PreflightVerdict.NoToken;
    if (child.type === NodeType.Workflow)
      return workflowNodeVerdict(child, userScopes, inner, depth + 1, scopeSourceOf, delegation).verdict;
    const known = scopeSourceOf(child.oauth.profile) !== 'authorization-server';
    const { missing } = narrowWithinDelegation({
      node: child.oauth,
      userScopes,
      ceilings: inner,
      userScopesKnown: known,
    });
    return missing.length > 0 ? PreflightVerdict.InsufficientScope : PreflightVerdict.Ok;
  });
  return { granted, missing: [], verdict: worstVerdict(verdicts) };
}

/** What a preflight answer says of a node with `oauth`, before its verdict. */
function tokenNodeFields(
  id: string,
  type: PreflightNode['type'],
  oauth: {
    profile: string;
    audience?: string;
    resource?: string;
    requiredScopes: readonly string[];
    optionalScopes: readonly string[];
  },
) {
  return {
    id,
    type,
    profile: oauth.profile,
    audience: oauth.audience ?? null,
    resource: oauth.resource ?? null,
    requiredScopes: [...oauth.requiredScopes],
    optionalScopes: [...oauth.optionalScopes],
  };
}

/**
 * The verdicts knowable without asking the authorization server: approval nodes, nodes without
 * `oauth`, and SPEC §4.2 narrowing against the caller's scopes (the engine's own `scopesToRequest`,
 * which honours each profile's `scopeSource`). Nodes that pass are `ok` for now and grouped into
 * one exchange per distinct (profile, audience, resource, granted set).
 */
export function planPreflight(
  nodes: readonly EffectiveNode[],
  userScopes: readonly string[],
  scopeSourceOf: (profile: string) => ScopeSource | undefined,
  delegation: PreflightDelegation = { childOf: () => undefined, maxDepth: 0 },
): PreflightPlan {
  const exchanges = new Map<string, PlannedExchange>();
  const planned = nodes.map((node): PreflightNode => {
    if (node.type === NodeType.Workflow && node.oauth)
      return {
        ...tokenNodeFields(node.id, node.type, node.oauth),
        ...workflowNodeVerdict(node, userScopes, [], 0, scopeSourceOf, delegation),
      };
    if (node.type === NodeType.Approval || !node.oauth) {
      return {
        id: node.id,
        type: node.type,
        profile: null,
        audience: null,
        resource: null,
        requiredScopes: [],
        optionalScopes: [],
        granted: [],
        missing: [],
        verdict: node.type === NodeType.Approval ? PreflightVerdict.Approval : PreflightVerdict.NoToken,
      };
    }
    const { profile, audience, resource, requiredScopes, optionalScopes } = node.oauth;
    const { granted, missing } = scopesToRequest({
      requiredScopes,
      optionalScopes,
      userScopes,
      scopeSource: scopeSourceOf(profile),
    });
    const verdict = missing.length > 0 ? PreflightVerdict.InsufficientScope : PreflightVerdict.Ok;
    if (verdict === PreflightVerdict.Ok) {
      const key = JSON.stringify([profile, audience ?? null, resource ?? null, [...granted].sort()]);
      const exchange = exchanges.get(key);
      if (exchange) exchange.nodeIds.push(node.id);
      else
        exchanges.set(key, {
          profile,
          ...(audience !== undefined && { audience }),
          ...(resource !== undefined && { resource }),
          scopes: granted,
          nodeIds: [node.id],
        });
    }
    return { ...tokenNodeFields(node.id, node.type, node.oauth), granted, missing, verdict };
  });
  return { nodes: planned, exchanges: [...exchanges.values()] };
}

/** What one probe exchange answered: the scopes granted, or the failure. */
export type ProbeAnswer = { ok: true; scopes: readonly string[] } | { ok: false; failure: ExchangeFailure };

/**
 * A node's verdict once its exchange answered: the same table the engine decides a failed
 * exchange by (`decideExchangeFailure`): an escalation's reason becomes the verdict
 * (`token_expired`, which a preflight has no verdict for, counts as `token_revoked`: the caller must
 * sign in again either way); a failure or a retry is `exchange_failed`. A granted set missing one of
 * the node's required scopes is `insufficient_scope`, as in the engine.
 */
export function applyProbeAnswer(node: PreflightNode, answer: ProbeAnswer): PreflightNode {
  let failure: ExchangeFailure | undefined;
  let missing = node.missing;
  if (answer.ok) {
    const left = findMissingScopes(node.requiredScopes, [...answer.scopes]);
    if (left.length === 0) return node;
    missing = [...new Set([...node.missing, ...left])];
    failure = { code: 'insufficient_scope', message: 'required scopes missing', missingScopes: left };
  } else failure = answer.failure;
  const { verdict } = decideExchangeFailure(failure);
  if (verdict.kind !== 'escalate') return { ...node, missing, verdict: PreflightVerdict.ExchangeFailed };
  return { ...node, missing, verdict: VERDICT_OF_REASON[verdict.reason] };
}

const VERDICT_OF_REASON: Readonly<Record<EscalationReason, PreflightVerdict>> = {
  [EscalationReason.TokenRevoked]: PreflightVerdict.TokenRevoked,
  [EscalationReason.TokenExpired]: PreflightVerdict.TokenRevoked,
  [EscalationReason.ConsentRequired]: PreflightVerdict.ConsentRequired,
  [EscalationReason.InsufficientScope]: PreflightVerdict.InsufficientScope,
  [EscalationReason.ApprovalRequired]: PreflightVerdict.Approval,
};

/** SPEC §12.2: ready when every verdict is `ok`, `no_token` or `approval` and there is no input problem. */
export function isReady(nodes: readonly Pick<PreflightNode, 'verdict'>[], problems: readonly Problem[]): boolean {
  return problems.length === 0 && nodes.every((n) => READY_VERDICTS.has(n.verdict));
}
