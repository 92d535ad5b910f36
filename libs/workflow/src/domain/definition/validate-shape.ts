import type { core } from 'zod';
import { type Problem, jsonPath } from '../problem.js';
import { type WorkflowDefinition, workflowDefinitionSchema } from './definition.schema.js';

export type ShapeValidationResult = { ok: true; value: WorkflowDefinition } | { ok: false; problems: Problem[] };

/**
 * Checks a request body against the definition schema and lists every problem with its JSON path
 * (the API answers them as 400). Meaning — references, cycles, hosts, profiles — is checked
 * afterwards by `validateDefinitionMeaning`.
 */
export function validateDefinitionShape(body: unknown): ShapeValidationResult {
  if (body === undefined) return { ok: false, problems: [{ path: '$', message: 'must be an object' }] };
  const result = workflowDefinitionSchema.safeParse(body, { error: defaultMessage });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap(toProblems) };
}

function toProblems(issue: core.$ZodIssue): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: jsonPath([...issue.path, key] as PathKey[]),
      message: 'is not a known field',
    }));
  }
  if (issue.code === 'invalid_key') {
    return [{ path: jsonPath(issue.path as PathKey[]), message: `key ${issue.issues[0]?.message ?? 'is invalid'}` }];
  }
  return [{ path: jsonPath(issue.path as PathKey[]), message: issue.message }];
}

type PathKey = string | number;

/** Messages for checks that do not carry their own: short, and phrased to follow the path. */
function defaultMessage(issue: core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    case 'invalid_union':
      return unionMessage(issue);
    case 'invalid_value':
      return issue.input === undefined ? 'is required' : `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return sizeMessage('at most', issue.origin, issue.maximum, issue.inclusive);
    default:
      return undefined;
  }
}

/** A node whose `type` is missing or unknown: the issue sits at `type`, its input is the whole node. */
function unionMessage(issue: core.$ZodRawIssue): string {
  const { discriminator, options } = issue as { discriminator?: unknown; options?: unknown };
  if (typeof discriminator !== 'string' || !Array.isArray(options)) return 'matches none of the allowed forms';
  const input = issue.input;
  const value =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[discriminator] : undefined;
  return value === undefined ? 'is required' : `must be one of ${options.map(String).join(', ')}`;
}

function sizeMessage(bound: 'at least' | 'at most', origin: string, limit: number | bigint, inclusive = true): string {
  if (origin === 'array') return `must have ${bound} ${limit} item${limit === 1 ? '' : 's'}`;
  if (origin === 'string') return `must be ${bound} ${limit} character${limit === 1 ? '' : 's'} long`;
  if (!inclusive) return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${limit}`;
  return `must be ${bound} ${limit}`;
}

const ARTICLES: Record<string, string> = {
  int: 'an integer',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

function article(expected: string): string {
  return ARTICLES[expected] ?? `a ${expected}`;
}
