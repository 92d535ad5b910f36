import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { type PathSegment, type Problem, jsonPath } from '../problem.js';

export type InputSchemaCompilation = { ok: true; validate: (input: unknown) => Problem[] } | { ok: false; message: string };

const DRAFT_2020_12 = /json-schema\.org\/draft\/2020-12\/schema/;

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

const compiled = new WeakMap<object, InputSchemaCompilation>();

/**
 * Compiles a workflow's `inputSchema` (draft-07 by default, 2020-12 when its `$schema` says so).
 * Each schema gets its own Ajv instance, so two definitions using the same `$id` never collide;
 * compilations are cached per schema object. Nothing is fetched: a `$ref` to another document
 * does not compile. The schema must satisfy its meta-schema; unknown keywords (annotations such as
 * `x-ui`) and unknown formats are ignored, as JSON Schema asks of validators.
 */
export function compileInputSchema(schema: Readonly<Record<string, unknown>>): InputSchemaCompilation {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const result = compile(schema);
  compiled.set(schema, result);
  return result;
}

/** The problems of a run input against a schema that compiles, located under `$.input`. */
export function validateRunInput(schema: Readonly<Record<string, unknown>>, input: unknown): Problem[] {
  const compilation = compileInputSchema(schema);
  if (!compilation.ok) throw new Error(`inputSchema does not compile: ${compilation.message}`);
  return compilation.validate(input);
}

function compile(schema: Readonly<Record<string, unknown>>): InputSchemaCompilation {
  const options = { allErrors: true, strict: false, logger: false } as const;
  const is2020 = typeof schema.$schema === 'string' && DRAFT_2020_12.test(schema.$schema);
  const ajv = is2020 ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    if (schema.$async === true) return { ok: false, message: 'asynchronous schemas ($async) are not supported' };
    validate = ajv.compile(schema);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  return {
    ok: true,
    validate: (input) => (validate(input) ? [] : (validate.errors ?? []).map((error) => toProblem(error, input))),
  };
}

function toProblem(error: ErrorObject, input: unknown): Problem {
  const segments = pointerToSegments(error.instancePath, input);
  if (error.keyword === 'required') {
    return { path: jsonPath([...segments, String(error.params.missingProperty)], '$.input'), message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
    const key = error.params.additionalProperty ?? error.params.unevaluatedProperty;
    return { path: jsonPath([...segments, String(key)], '$.input'), message: 'is not allowed' };
  }
  return { path: jsonPath(segments, '$.input'), message: error.message ?? `fails ${error.keyword}` };
}

/** A JSON Pointer as path segments; a segment is an index only where the input holds an array there. */
function pointerToSegments(pointer: string, input: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let at: unknown = input;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const isIndex = Array.isArray(at);
    segments.push(isIndex ? Number(key) : key);
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  }
  return segments;
}
