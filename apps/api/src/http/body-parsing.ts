import type { INestApplication } from '@nestjs/common';
import express, { type ErrorRequestHandler } from 'express';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemDetails } from './problem-details.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * JSON bodies up to 1 MiB (SPEC §7: larger → 413). body-parser errors happen before Nest's
 * router, so they are turned into problem+json here rather than by the exception filter.
 */
export function useJsonBodies(app: INestApplication): void {
  app.use(express.json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/*+json'] }));
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
