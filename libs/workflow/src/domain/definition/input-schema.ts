import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { type PathSegment, type Problem, jsonPath } from '../problem.js';

export type InputSchemaCompilation =
  { ok: true; validate: (input: unknown) => Problem[] } | { ok: false; message: string };

const DRAFT_2020_12 = /json-schema\.org\/draft\/2020-12\/schema/;

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

const compiled = new WeakMap<object, InputSchemaCompilation>();

/** Compilations per workflow version (`name@version`): stored definitions are parsed anew per run. */
const compiledByVersion = new Map<string, InputSchemaCompilation>();
const MAX_CACHED_VERSIONS = 500;

/**
 * `pattern` and `patternProperties` run on RE2 (re2js, pure JavaScript): matching is linear in the
 * input whatever the pattern, so `^(a+)+$` cannot hang the event loop (issue 10 item 9). Patterns
 * RE2 cannot run in linear time (backreferences, lookaround) do not compile, and the schema is
 * refused when the workflow is posted. JSON Schema patterns are unanchored searches.
 */
const linearRegExp = Object.assign(
  (pattern: string) => {
    const compiledPattern = RE2JS.compile(pattern);
    // Ajv caches compiled patterns by `toString()`: it must differ per pattern.
    return {
      test: (text: string) => chargePatternWork(text) && compiledPattern.matcher(text).find(),
      toString: () => `re2js:${pattern}`,
    };
  },
  { code: 're2js' },
);

/**
 * Linear is not free: RE2 in JavaScript costs about a microsecond per character. So that no
 * validation blocks the event loop for long, a string longer than `MAX_PATTERN_SUBJECT` does not
 * match any pattern, and one validation checks at most `MAX_PATTERN_WORK` characters against
 * patterns in all (both answer 422 with their own message).
 */
export const MAX_PATTERN_SUBJECT = 8192;
export const MAX_PATTERN_WORK = 32_768;
let patternWork = 0;

function chargePatternWork(text: string): boolean {
  if (text.length > MAX_PATTERN_SUBJECT) return false;
  patternWork += text.length;
  return patternWork <= MAX_PATTERN_WORK;
}

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

/**
 * The problems of a run input against a schema that compiles, located under `$.input`. With a
 * `versionKey` (`name@version`; versions are immutable) the compilation is reused across runs.
 */
export function validateRunInput(
  schema: Readonly<Record<string, unknown>>,
  input: unknown,
  versionKey?: string,
): Problem[] {
  let compilation = versionKey === undefined ? undefined : compiledByVersion.get(versionKey);
  if (!compilation) {
    compilation = compileInputSchema(schema);
    if (versionKey !== undefined) {
      if (compiledByVersion.size >= MAX_CACHED_VERSIONS)
        compiledByVersion.delete(compiledByVersion.keys().next().value!);
      compiledByVersion.set(versionKey, compilation);
    }
  }
  if (!compilation.ok) throw new Error(`inputSchema does not compile: ${compilation.message}`);
  return compilation.validate(input);
}

function compile(schema: Readonly<Record<string, unknown>>): InputSchemaCompilation {
  const options = { allErrors: true, strict: false, logger: false, code: { regExp: linearRegExp } } as const;
  const is2020 = typeof schema.$schema === 'string' && DRAFT_2020_12.test(schema.$schema);
  const ajv = is2020 ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  useLinearUniqueItems(ajv);
  let validate: ValidateFunction;
  try {
    if (schema.$async === true) return { ok: false, message: 'asynchronous schemas ($async) are not supported' };
    validate = ajv.compile(schema);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  return {
    ok: true,
    validate: (input) => {
      patternWork = 0; // validation is synchronous: the count belongs to this call
      if (validate(input)) return [];
      const problems = (validate.errors ?? []).map((error) => toProblem(error, input));
      if (patternWork > MAX_PATTERN_WORK)
        problems.push({
          path: '$.input',
          message: `holds more than ${MAX_PATTERN_WORK} characters to check against patterns`,
        });
      return problems;
    },
  };
}

/**
 * Ajv's `uniqueItems` compares items pairwise (quadratic: a 100 KB array of objects blocks for
 * seconds). This one keys each item by its canonical JSON in a Set: linear in the array's size.
 */
function useLinearUniqueItems(ajv: Ajv): void {
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({
    keyword: 'uniqueItems',
    type: 'array',
    schemaType: 'boolean',
    errors: true,
    validate: function uniqueItems(this: unknown, wanted: boolean, data: unknown[]): boolean {
      if (!wanted) return true;
      const seen = new Set<string>();
      for (let i = 0; i < data.length; i += 1) {
        const key = canonicalJson(data[i]);
        if (seen.has(key)) {
          (uniqueItems as unknown as { errors: Partial<ErrorObject>[] }).errors = [
            {
              keyword: 'uniqueItems',
              message: `must NOT have duplicate items (item ${i} repeats an earlier one)`,
              params: {},
            },
          ];
          return false;
        }
        seen.add(key);
      }
      return true;
    },
  });
}

/** JSON with object keys sorted (so `{a,b}` equals `{b,a}`, as JSON Schema equality says). */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  out = '{';
  for (let i = 0; i < keys.length; i += 1)
    out +=
      (i > 0 ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonicalJson((value as Record<string, unknown>)[keys[i]!]);
  return `${out}}`;
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
  if (
    error.keyword === 'pattern' &&
    typeof valueAt(input, error.instancePath) === 'string' &&
    (valueAt(input, error.instancePath) as string).length > MAX_PATTERN_SUBJECT
  ) {
    return {
      path: jsonPath(segments, '$.input'),
      message: `is longer than ${MAX_PATTERN_SUBJECT} characters, the most a pattern is checked against`,
    };
  }
  return { path: jsonPath(segments, '$.input'), message: error.message ?? `fails ${error.keyword}` };
}

function valueAt(input: unknown, pointer: string): unknown {
  let at: unknown = input;
  if (pointer === '') return at;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
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
