import { z } from 'zod';
import { instant } from '../views/view-fields.js';
import { PREFLIGHT_VERDICTS, type PreflightVerdict } from './preflight-plan.js';

/** `POST /v1/workflows/{name}/preflight` body (SPEC §12.2). */
export const preflightRequestSchema = z.strictObject({
  version: z.int().min(1).max(2_147_483_647).optional().describe('the latest when absent'),
  input: z.record(z.string(), z.unknown()).default({}).describe('checked against the inputSchema, as a run start'),
  exchange: z
    .boolean()
    .default(false)
    .describe('perform one real exchange per distinct (profile, audience, resource, granted); tokens discarded'),
});

const preflightNodeSchema = z.object({
  id: z.string(),
  type: z.string(),
  profile: z.string().nullable(),
  audience: z.string().nullable(),
  resource: z.string().nullable(),
  requiredScopes: z.array(z.string()),
  optionalScopes: z.array(z.string()),
  granted: z
    .array(z.string())
    .describe("what the exchange would request: required ∪ optional narrowed against the caller's scopes"),
  missing: z.array(z.string()).describe('required scopes the caller lacks'),
  verdict: z.enum(PREFLIGHT_VERDICTS as [PreflightVerdict, ...PreflightVerdict[]]),
});

/** The 200 answer of a preflight (SPEC §12.2). */
export const preflightViewSchema = z.object({
  workflow: z.object({ name: z.string(), version: z.int().min(1) }),
  ready: z.boolean().describe('every verdict is ok, no_token or approval, and there is no input problem'),
  subjectToken: z.object({ expiresAt: instant }),
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
  nodes: z.array(preflightNodeSchema),
});
export type PreflightView = z.infer<typeof preflightViewSchema>;
