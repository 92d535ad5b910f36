export * from './domain/index.js';
export * from './persistence/entities.js';
export * from './audit/audit-writer.js';
export * from './definitions/workflow.repository.js';
export * from './definitions/workflow-definition.service.js';
export * from './definitions/definitions.module.js';
