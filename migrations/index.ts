import { InitialSchema1732300000000 } from './1732300000000-initial-schema.js';
import { AuditIndexes1732400000000 } from './1732400000000-audit-indexes.js';
import { LeanEngine1732500000000 } from './1732500000000-lean-engine.js';
import { EscalationResolverIssuer1732600000000 } from './1732600000000-escalation-resolver-issuer.js';
import { RunTraceContext1732950000000 } from './1732950000000-run-trace-context.js';
import { AuditStreamPosition1733000000000 } from './1733000000000-audit-stream-position.js';
import { SecurityEvents1733150000000 } from './1733150000000-security-events.js';
import { PauseRevokedNodes1733260000000 } from './1733260000000-pause-revoked-nodes.js';
import { SubWorkflows1733300000000 } from './1733300000000-sub-workflows.js';
import { Tenants1733400000000 } from './1733400000000-tenants.js';
import { TenantNodeLimits1733450000000 } from './1733450000000-tenant-node-limits.js';
import { TreeEscalationEvents1733500000000 } from './1733500000000-tree-escalation-events.js';
import { AuditHeadPerStatement1733600000000 } from './1733600000000-audit-head-per-statement.js';

/** Every migration, in order. Listed explicitly: globs break in bundles and under ESM. */
export const migrations = [
  InitialSchema1732300000000,
  AuditIndexes1732400000000,
  LeanEngine1732500000000,
  EscalationResolverIssuer1732600000000,
  RunTraceContext1732950000000,
  AuditStreamPosition1733000000000,
  SecurityEvents1733150000000,
  PauseRevokedNodes1733260000000,
  SubWorkflows1733300000000,
  Tenants1733400000000,
  TenantNodeLimits1733450000000,
  TreeEscalationEvents1733500000000,
  AuditHeadPerStatement1733600000000,
];
