import { ancestorsOf } from '../graph/ancestors.js';
import { findCycles } from '../graph/find-cycle.js';
import { type Problem, appendPath } from '../problem.js';
import { extractTemplateRefs, findMalformedTemplates } from '../template/extract-template-refs.js';
import { formatTemplateRef } from '../template/template-ref.js';
import { matchesAllowedHost, parseAllowedHost } from './allowed-host.js';
import { type AudienceOrigins, isAudienceBoundTo } from './audience-binding.js';
import { NodeType, type SubWorkflowNode, type WorkflowDefinition, type WorkflowNode } from './definition.schema.js';
import { mergeNodeOAuth } from './effective-node.js';
import { parseHttpUrlHost } from './http-url-host.js';
import { splitUrlOrigin } from '../template/url-origin.js';
import { compileInputSchema } from './input-schema.js';

/** What the deployment offers that a definition may name. */
export interface MeaningContext {
  /** `exchangeProfiles` keys from baton.yaml. */
  readonly profiles: readonly string[];
  /** `http.allowedHosts` from baton.yaml. */
  readonly allowedHosts: readonly string[];
  /** Custom handler names registered in the workers; when absent, handler names are not checked. */
  readonly handlers?: readonly string[];
  /** Profiles whose vendor never sends `resource` (keycloak, SPEC §9.1): a node on one must not name one. */
  readonly profilesWithoutResource?: readonly string[];
  /** Baton's own `api.audience` and API scope names: no node may ask for them (SPEC §16). */
  readonly baton?: { readonly audience: string; readonly scopes: readonly string[] };
  /** `http.audienceOrigins`; absent → a URL audience is bound to its own origin. */
  readonly audienceOrigins?: AudienceOrigins;
  /**
   * SPEC §11: the versions stored of each workflow a `workflow` node names (the definition's own name
   * excepted: a workflow may call itself). A name missing from the map does not exist. When absent,
   * child workflows are not checked.
   */
  readonly workflowVersions?: ReadonlyMap<string, number>;
}

/** The workflow names a definition's `workflow` nodes call (the caller looks up their latest versions). */
export function calledWorkflowNames(definition: WorkflowDefinition): string[] {
  return [
    ...new Set(definition.nodes.flatMap((node) => (node.type === NodeType.Workflow ? [node.workflow.name] : []))),
  ];
}

/**
 * Everything wrong with what a well-shaped definition means (the API answers them as 422), each
 * with the JSON path of the value at fault: unknown or duplicate ids, cycles, OAuth settings that
 * cannot produce a token, templates that name what the node cannot see, hosts not allowed, an
 * input schema that does not compile, unknown handlers.
 */
export function validateDefinitionMeaning(definition: WorkflowDefinition, context: MeaningContext): Problem[] {
  return [
    ...inputSchemaProblems(definition),
    ...defaultsProblems(definition, context),
    ...batonRightsProblems(definition.defaults?.oauth, '$.defaults.oauth', context),
    ...duplicateIdProblems(definition),
    ...dependencyProblems(definition),
    ...cycleProblems(definition),
    ...definition.nodes.flatMap((node, index) => nodeProblems(definition, node, `$.nodes[${index}]`, context)),
  ];
}

function inputSchemaProblems(definition: WorkflowDefinition): Problem[] {
  if (!definition.inputSchema) return [];
  const compilation = compileInputSchema(definition.inputSchema);
  return compilation.ok
    ? []
    : [{ path: '$.inputSchema', message: `is not a valid JSON Schema: ${compilation.message}` }];
}

/** An unknown default profile is reported once, where it is written, not on every node that inherits it. */
function defaultsProblems(definition: WorkflowDefinition, context: MeaningContext): Problem[] {
  const profile = definition.defaults?.oauth?.profile;
  return profile !== undefined && !context.profiles.includes(profile)
    ? [{ path: '$.defaults.oauth.profile', message: unknownProfileMessage(profile, context) }]
    : [];
}

function duplicateIdProblems(definition: WorkflowDefinition): Problem[] {
  const firstIndex = new Map<string, number>();
  const problems: Problem[] = [];
  definition.nodes.forEach((node, index) => {
    const first = firstIndex.get(node.id);
    if (first === undefined) firstIndex.set(node.id, index);
    else
      problems.push({ path: `$.nodes[${index}].id`, message: `duplicates the id "${node.id}" of $.nodes[${first}]` });
  });
  return problems;
}

function dependencyProblems(definition: WorkflowDefinition): Problem[] {
  const ids = new Set(definition.nodes.map((node) => node.id));
  return definition.nodes.flatMap((node, index) =>
    (node.dependsOn ?? []).flatMap((dep, depIndex): Problem[] => {
      const path = `$.nodes[${index}].dependsOn[${depIndex}]`;
      if (dep === node.id)
        return [{ path, message: `node "${node.id}" depends on itself (cycle ${node.id} -> ${node.id})` }];
      if (!ids.has(dep)) return [{ path, message: `unknown node "${dep}"` }];
      return [];
    }),
  );
}

/**
 * Each cycle once, at the dependsOn entry of its first node that leads around it. Self-dependencies
 * are reported by `dependencyProblems`, so they are left out here.
 */
function cycleProblems(definition: WorkflowDefinition): Problem[] {
  const withoutSelfEdges = definition.nodes.map((node) => ({
    id: node.id,
    dependsOn: (node.dependsOn ?? []).filter((dep) => dep !== node.id),
  }));
  return findCycles(withoutSelfEdges).map((cycle) => {
    const index = definition.nodes.findIndex((node) => node.id === cycle[0]);
    const depIndex = definition.nodes[index]!.dependsOn!.indexOf(cycle[1]!);
    return { path: `$.nodes[${index}].dependsOn[${depIndex}]`, message: `dependency cycle ${cycle.join(' -> ')}` };
  });
}

function nodeProblems(
  definition: WorkflowDefinition,
  node: WorkflowNode,
  path: string,
  context: MeaningContext,
): Problem[] {
  return [
    ...oauthProblems(definition, node, path, context),
    ...batonRightsProblems(node.oauth, appendPath(path, 'oauth'), context),
    ...(node.type === NodeType.Http
      ? urlProblems(node.request.url, appendPath(appendPath(path, 'request'), 'url'), context)
      : []),
    ...(node.type === NodeType.Http
      ? audienceBindingProblems(definition, node, appendPath(appendPath(path, 'request'), 'url'), context)
      : []),
    ...(node.type === NodeType.Handler ? handlerProblems(node.handler, appendPath(path, 'handler'), context) : []),
    ...(node.type === NodeType.Workflow ? subWorkflowProblems(definition, node, path, context) : []),
    ...templateProblems(definition, node, path),
  ];
}

function oauthProblems(
  definition: WorkflowDefinition,
  node: WorkflowNode,
  path: string,
  context: MeaningContext,
): Problem[] {
  // SPEC §11: a workflow node's oauth is its delegation ceiling; without one there is nothing to attenuate to.
  if (!node.oauth && node.type === NodeType.Workflow)
    return [
      {
        path: appendPath(path, 'oauth'),
        message: 'workflow nodes need oauth with requiredScopes (the ceiling the child is attenuated to)',
      },
    ];
  if (!node.oauth) return [];
  const oauthPath = appendPath(path, 'oauth');
  if (node.type === NodeType.Approval)
    return [{ path: oauthPath, message: 'approval nodes call nothing and take no oauth' }];
  const merged = mergeNodeOAuth(definition, node)!;
  const problems: Problem[] = [];
  if (merged.profile === undefined) {
    problems.push({ path: oauthPath, message: 'needs a profile, here or in defaults.oauth' });
  } else if (node.oauth.profile !== undefined && !context.profiles.includes(node.oauth.profile)) {
    problems.push({
      path: appendPath(oauthPath, 'profile'),
      message: unknownProfileMessage(node.oauth.profile, context),
    });
  }
  if (!merged.requiredScopes?.length) {
    problems.push({
      path: appendPath(oauthPath, 'requiredScopes'),
      message: 'must list at least one scope, here or in defaults.oauth',
    });
  }
  if (
    merged.resource !== undefined &&
    merged.profile !== undefined &&
    context.profilesWithoutResource?.includes(merged.profile)
  ) {
    problems.push({
      path: appendPath(oauthPath, 'resource'),
      message: `profile "${merged.profile}" is a keycloak profile, which never sends resource; use audience`,
    });
  }
  return problems;
}

function unknownProfileMessage(profile: string, context: MeaningContext): string {
  const known = context.profiles.length > 0 ? context.profiles.join(', ') : 'none are configured';
  return `unknown exchange profile "${profile}" (known: ${known})`;
}

function urlProblems(url: string, path: string, context: MeaningContext): Problem[] {
  const host = parseHttpUrlHost(url);
  if (!host.ok) return [{ path, message: host.message }];
  return matchesAllowedHost(host.hostname, context.allowedHosts, host.port)
    ? []
    : [
        {
          path,
          message: matchesAllowedHost(host.hostname, context.allowedHosts.map(withoutPort))
            ? `host "${host.hostname}" is not in http.allowedHosts for port ${host.port}`
            : `host "${host.hostname}" is not in http.allowedHosts`,
        },
      ];
}

function withoutPort(pattern: string): string {
  const entry = parseAllowedHost(pattern);
  if (!entry) return pattern;
  const host = entry.host.includes(':') ? `[${entry.host}]` : entry.host;
  return entry.wildcard ? `*.${host}` : host;
}

/** Item 1 of issue 10: a workflow never mints itself Baton's own rights (audience, resource or API scopes). */
function batonRightsProblems(
  oauth:
    | (Partial<Record<'audience' | 'resource', string>> & {
        requiredScopes?: readonly string[];
        optionalScopes?: readonly string[];
      })
    | undefined,
  path: string,
  context: MeaningContext,
): Problem[] {
  if (!oauth || !context.baton) return [];
  const { audience, scopes } = context.baton;
  const problems: Problem[] = [];
  for (const key of ['audience', 'resource'] as const) {
    if (oauth[key] === audience)
      problems.push({
        path: appendPath(path, key),
        message: `"${audience}" is Baton's own api.audience: a workflow cannot obtain tokens for Baton itself`,
      });
  }
  for (const key of ['requiredScopes', 'optionalScopes'] as const) {
    (oauth[key] ?? []).forEach((scope, index) => {
      if (scopes.includes(scope))
        problems.push({
          path: `${appendPath(path, key)}[${index}]`,
          message: `"${scope}" is one of Baton's API scopes: a workflow cannot obtain them`,
        });
    });
  }
  return problems;
}

/** SPEC §16: the URL's origin must be bound to the audience of the token the node sends. */
function audienceBindingProblems(
  definition: WorkflowDefinition,
  node: WorkflowNode,
  path: string,
  context: MeaningContext,
): Problem[] {
  const merged = mergeNodeOAuth(definition, node);
  const audience = merged?.audience ?? merged?.resource;
  if (node.type !== NodeType.Http || audience === undefined) return [];
  const parts = splitUrlOrigin(node.request.url);
  if (!parts || isAudienceBoundTo(audience, `${parts.origin}/`, context.audienceOrigins)) return [];
  return [
    {
      path,
      message: `origin ${parts.origin} is not bound to audience "${audience}" in http.audienceOrigins: its token would go elsewhere`,
    },
  ];
}

/** SPEC §11: the child workflow exists when the parent is posted (or is the parent itself), and so does a pinned version. */
function subWorkflowProblems(
  definition: WorkflowDefinition,
  node: SubWorkflowNode,
  path: string,
  context: MeaningContext,
): Problem[] {
  const { name, version } = node.workflow;
  const workflowPath = appendPath(path, 'workflow');
  if (name === definition.name) {
    // Calling itself: the version being posted is the next one, so only an earlier or that one can be pinned.
    const latest = context.workflowVersions?.get(name) ?? 0;
    return version !== undefined && context.workflowVersions && version > latest + 1
      ? [{ path: appendPath(workflowPath, 'version'), message: `workflow "${name}" will have no version ${version}` }]
      : [];
  }
  if (!context.workflowVersions) return [];
  const latest = context.workflowVersions.get(name);
  if (latest === undefined) return [{ path: appendPath(workflowPath, 'name'), message: `no workflow named "${name}"` }];
  if (version !== undefined && version > latest)
    return [
      {
        path: appendPath(workflowPath, 'version'),
        message: `workflow "${name}" has no version ${version} (latest: ${latest})`,
      },
    ];
  return [];
}

function handlerProblems(handler: string, path: string, context: MeaningContext): Problem[] {
  if (!context.handlers || context.handlers.includes(handler)) return [];
  return [{ path, message: `no handler named "${handler}" is registered` }];
}

/** The values of a node that are rendered at run time, with their paths. */
function templatedValues(node: WorkflowNode, path: string): Array<[value: unknown, path: string]> {
  switch (node.type) {
    case NodeType.Http:
      return [[node.request, appendPath(path, 'request')]];
    case NodeType.Approval:
      return [[node.approval, appendPath(path, 'approval')]];
    case NodeType.Handler:
      return [[node.input, appendPath(path, 'input')]];
    case NodeType.Workflow:
      return [[node.workflow.input, appendPath(appendPath(path, 'workflow'), 'input')]];
  }
}

function templateProblems(definition: WorkflowDefinition, node: WorkflowNode, path: string): Problem[] {
  const ids = new Set(definition.nodes.map((candidate) => candidate.id));
  const ancestors = ancestorsOf(definition.nodes, node.id);
  return templatedValues(node, path).flatMap(([value, valuePath]) => [
    ...findMalformedTemplates(value, valuePath),
    ...extractTemplateRefs(value, valuePath).flatMap(({ path: refPath, ref }): Problem[] => {
      if (ref.source === 'input') return [];
      const name = `{{${formatTemplateRef(ref)}}}`;
      if (ref.nodeId === node.id) return [{ path: refPath, message: `${name}: a node cannot use its own output` }];
      if (!ids.has(ref.nodeId)) return [{ path: refPath, message: `${name}: unknown node "${ref.nodeId}"` }];
      if (!ancestors.has(ref.nodeId)) {
        return [
          {
            path: refPath,
            message: `${name}: "${node.id}" does not depend on "${ref.nodeId}" (add it to dependsOn, directly or through another node)`,
          },
        ];
      }
      return [];
    }),
  ]);
}
