import { AuditEntryEntity } from './audit-entry.entity.js';
import { EscalationEntity } from './escalation.entity.js';
import { NodeRunEntity } from './node-run.entity.js';
import { RunEntity } from './run.entity.js';
import { WorkflowVersionEntity } from './workflow-version.entity.js';
import { WorkflowEntity } from './workflow.entity.js';

/** Every entity, listed explicitly (globs break under ESM and in bundles). */
export const entities = [
  WorkflowEntity,
  WorkflowVersionEntity,
  RunEntity,
  NodeRunEntity,
  EscalationEntity,
  AuditEntryEntity,
];

export { AuditEntryEntity, EscalationEntity, NodeRunEntity, RunEntity, WorkflowEntity, WorkflowVersionEntity };
