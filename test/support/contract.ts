import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The response contract: every answer the e2e tests see through `call()` is checked against the
 * OpenAPI document the same API serves at `/docs-json` — the status must be declared for the
 * operation, the media type must be one it declares, and a JSON body must match the declared
 * schema (ajv). An origin that serves no document (the dev authorization server, a resource
 * server) is not checked.
 */
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components?: { responses?: Record<string, Response> };
};
type Operation = { responses?: Record<string, Response | { $ref: string }> };
type Response = { content?: Record<string, { schema?: unknown }> };

interface Contract {
  document: Document;
  routes: { template: string; pattern: RegExp; params: number }[];
  ajv: Ajv;
  validators: Map<string, ValidateFunction>;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const contracts = new Map<string, Promise<Contract | null>>();

async function contractOf(origin: string): Promise<Contract | null> {
  let contract = contracts.get(origin);
  if (!contract) {
    contract = loadContract(origin);
    contracts.set(origin, contract);
  }
  return contract;
}

async function loadContract(origin: string): Promise<Contract | null> {
  const response = await fetch(`${origin}/docs-json`).catch(() => null);
  if (!response?.ok) return null;
  const document = (await response.json()) as Document;
  const routes = Object.keys(document.paths)
    .map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
      params: (template.match(/\{/g) ?? []).length,
    }))
    .sort((a, b) => a.params - b.params);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, 'openapi');
  return { document, routes, ajv, validators: new Map() };
}

const pointer = (...tokens: string[]) => tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** Throws (failing the test) when the answer does not keep the declared contract. */
export async function assertKeepsContract(
  url: string,
  method: string,
  status: number,
  contentType: string,
  body: unknown,
): Promise<void> {
  const { origin, pathname } = new URL(url);
  if (pathname === '/docs-json' || pathname.startsWith('/docs')) return;
  const contract = await contractOf(origin);
  if (!contract) return;
  const route = contract.routes.find((r) => r.pattern.test(pathname));
  const verb = method.toLowerCase();
  const operation = route && contract.document.paths[route.template][verb];
  if (!route || !operation) return; // no such operation: the router's 404/405, not a declared answer
  const where = `${method.toUpperCase()} ${route.template} → ${status}`;
  let declared = operation.responses?.[String(status)] ?? operation.responses?.default;
  if (!declared)
    throw new Error(
      `contract: ${where} is not a declared response (declared: ${Object.keys(operation.responses ?? {}).join(', ')})`,
    );
  let responsePointer = pointer('paths', route.template, verb, 'responses', String(status));
  if ('$ref' in declared) {
    const name = declared.$ref.split('/').pop()!;
    declared = contract.document.components!.responses![name];
    responsePointer = pointer('components', 'responses', name);
  }
  const content = (declared as Response).content;
  if (!content) return;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  if (!(mediaType in content))
    throw new Error(
      `contract: ${where} answered ${mediaType || 'no content type'}, declared ${Object.keys(content).join(', ')}`,
    );
  if (!(mediaType === 'application/json' || mediaType.endsWith('+json')) || content[mediaType].schema === undefined)
    return;
  const schemaPointer = `${responsePointer}${pointer('content', mediaType, 'schema')}`;
  let validate = contract.validators.get(schemaPointer);
  if (!validate) {
    validate = contract.ajv.compile({ $ref: `openapi#${schemaPointer}` });
    contract.validators.set(schemaPointer, validate);
  }
  if (!validate(body)) {
    throw new Error(
      `contract: ${where} body does not match its declared schema: ${contract.ajv.errorsText(validate.errors, { dataVar: 'body' })}\n${String(JSON.stringify(body)).slice(0, 2000)}`,
    );
  }
}
