// The workflow domain: pure TypeScript, no Nest, no I/O.
export * from './constants.js';
export * from './problem.js';

export * from './state/run-status.js';
export * from './state/node-status.js';
export * from './state/run-outcome.js';

export * from './graph/dependency-node.js';
export * from './graph/find-cycle.js';
export * from './graph/ancestors.js';
export * from './graph/node-readiness.js';
export * from './graph/step-plan.js';
export * from './retry/retry-delay.js';

export * from './template/template-ref.js';
export * from './template/template-tokens.js';
export * from './template/template-error.js';
export * from './template/extract-template-refs.js';
export * from './template/render-template.js';
export * from './template/render-url.js';
export * from './template/url-origin.js';

export * from './definition/definition.schema.js';
export * from './definition/definition.json-schema.js';
export * from './definition/validate-shape.js';
export * from './definition/validate-meaning.js';
export * from './definition/effective-node.js';
export * from './definition/allowed-host.js';
export * from './definition/http-url-host.js';
export * from './definition/input-schema.js';

export * from './trace/trace-context.js';
export * from './scopes/scope-changes.js';
export * from './scopes/delegation-ceiling.js';
export * from './tree/child-run-id.js';
export * from './tree/child-run-result.js';
export * from './tenants/tenant-node-limits.js';
