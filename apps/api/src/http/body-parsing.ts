import type { INestApplication } from '@nestjs/common';
import express, { type ErrorRequestHandler } from 'express';
import { JsonTooDeepError, MAX_JSON_DEPTH, jsonNestingExceeds } from './json-depth.js';
import { NON_JSON_BODY_PATH, isJsonContentType } from './method-and-media.js';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemDetails } from './problem-details.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * JSON bodies up to 1 MiB (SPEC §7: larger → 413). body-parser errors happen before Nest's
 * router, so they are turned into problem+json here rather than by the exception filter.
 */
export function useJsonBodies(app: INestApplication): void {
  app.use(
    express.json({
      limit: MAX_BODY_BYTES,
      // Not on the Shared Signals push path: it reads its body itself, with its own limit and answers.
      type: (req) =>
        (req as { url?: string }).url?.split('?')[0] !== NON_JSON_BODY_PATH &&
        isJsonContentType(req.headers['content-type']),
      // Depth is checked on the raw bytes before JSON.parse (issue 10 item 11).
      verify: (_req, _res, buf) => {
        if (jsonNestingExceeds(buf)) throw new JsonTooDeepError();
      },
    }),
  );
  app.use(bodyParserErrors);
}

const bodyParserErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const body = describeBodyParserError(error);
  if (!body) return next(error);
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
};

/** body-parser reports through `type`; never echo its message (it may quote the input). */
export function describeBodyParserError(error: unknown): ProblemDetails | undefined {
  switch ((error as { type?: string } | null)?.type) {
    case 'entity.too.large':
      return problem(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    case 'entity.parse.failed':
      return problem(400, 'Request body is not valid JSON');
    case 'entity.too.deep':
      return problem(400, `Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problem(415, 'Unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return problem(400, 'Malformed request body');
    default:
      return undefined;
  }
}
