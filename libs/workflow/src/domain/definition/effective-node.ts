import type {
  ApprovalNode,
  HandlerNode,
  HttpNode,
  NodeOAuthSpec,
  SubWorkflowNode,
  RetrySpec,
  WorkflowDefinition,
  WorkflowNode,
} from './definition.schema.js';
import { NodeType } from './definition.schema.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly backoffMs: number;
}

/** Used for whatever neither the node nor `defaults` sets. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, backoffMs: 500 };
export const DEFAULT_TIMEOUT_MS = 30_000;

/** A node's OAuth settings once merged over `defaults.oauth` and validated: what the worker exchanges with. */
export interface NodeOAuth {
  readonly profile: string;
  readonly requiredScopes: readonly string[];
  readonly optionalScopes: readonly string[];
  readonly audience?: string;
  readonly resource?: string;
}

interface ResolvedFields {
  readonly dependsOn: readonly string[];
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  /** Present only on nodes that get a token; see `mergeNodeOAuth`. */
  readonly oauth?: NodeOAuth;
}

type Resolved<N extends WorkflowNode> = Omit<N, keyof ResolvedFields> & ResolvedFields;
export type EffectiveHttpNode = Resolved<HttpNode>;
export type EffectiveApprovalNode = Resolved<ApprovalNode>;
export type EffectiveHandlerNode = Resolved<HandlerNode>;
export type EffectiveSubWorkflowNode = Resolved<SubWorkflowNode>;
/** A node with `defaults` applied: what the scheduler and the worker act on. */
export type EffectiveNode = EffectiveHttpNode | EffectiveApprovalNode | EffectiveHandlerNode | EffectiveSubWorkflowNode;

/**
 * A node's `oauth` merged key by key over `defaults.oauth`, or undefined when the node gets no
 * token. SPEC §3 says "a node without `oauth` gets no token", so only a node that declares `oauth`
 * itself gets one — `defaults.oauth` fills in the keys it leaves out (typically `profile`) and never
 * hands a token to a node that did not ask for one. Approval nodes call nothing and never get one.
 */
export function mergeNodeOAuth(definition: WorkflowDefinition, node: WorkflowNode): NodeOAuthSpec | undefined {
  if (node.type === NodeType.Approval || !node.oauth) return undefined;
  return mergeDefined(definition.defaults?.oauth, node.oauth);
}

/** Every node of a definition that passed `validateDefinitionMeaning`, with defaults applied, in definition order. */
export function effectiveNodes(definition: WorkflowDefinition): EffectiveNode[] {
  return definition.nodes.map((node) => resolve(definition, node));
}

/** One node with defaults applied; undefined for an unknown id. */
export function resolveNode(definition: WorkflowDefinition, nodeId: string): EffectiveNode | undefined {
  const node = definition.nodes.find((candidate) => candidate.id === nodeId);
  return node && resolve(definition, node);
}

function resolve(definition: WorkflowDefinition, node: WorkflowNode): EffectiveNode {
  const defaults = definition.defaults;
  const oauth = mergeNodeOAuth(definition, node);
  // The declared `oauth` gives way to the merged one, or to none at all (approval nodes).
  const { oauth: _declared, ...rest } = node;
  return {
    ...rest,
    dependsOn: node.dependsOn ?? [],
    retry: mergeDefined<RetrySpec>(
      mergeDefined<RetrySpec>(DEFAULT_RETRY_POLICY, defaults?.retry),
      node.retry,
    ) as RetryPolicy,
    timeoutMs: node.timeoutMs ?? defaults?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(oauth && { oauth: completeOAuth(node.id, oauth) }),
  };
}

function completeOAuth(nodeId: string, oauth: NodeOAuthSpec): NodeOAuth {
  if (!oauth.profile || !oauth.requiredScopes?.length) {
    throw new Error(
      `node "${nodeId}": oauth needs a profile and requiredScopes; validate the definition before resolving it`,
    );
  }
  return {
    profile: oauth.profile,
    requiredScopes: oauth.requiredScopes,
    optionalScopes: oauth.optionalScopes ?? [],
    ...(oauth.audience !== undefined && { audience: oauth.audience }),
    ...(oauth.resource !== undefined && { resource: oauth.resource }),
  };
}

/** `over` on top of `base`, key by key; keys whose value is undefined do not override. */
function mergeDefined<T extends object>(base: T | undefined, over: T | undefined): T {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over ?? {})) if (value !== undefined) merged[key] = value;
  return merged as T;
}
