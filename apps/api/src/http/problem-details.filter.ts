import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '@baton/platform';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { describeBodyParserError } from './body-parsing.js';
import {
  CONFLICT_RETRY_AFTER_SECONDS,
  DEPENDENCY_RETRY_AFTER_SECONDS,
  isDependencyUnavailable,
  isTransientConflict,
} from './dependency-unavailable.js';
import { allowedMethodsFor } from './method-and-media.js';
import { HttpProblem, PROBLEM_CONTENT_TYPE, problem, type ProblemDetails } from './problem-details.js';

const STATUS_OF_CODE: Record<DomainErrorCode, number> = {
  [DomainErrorCode.InvalidInput]: 400,
  [DomainErrorCode.Forbidden]: 403,
  [DomainErrorCode.NotFound]: 404,
  [DomainErrorCode.Conflict]: 409,
  [DomainErrorCode.Unprocessable]: 422,
  [DomainErrorCode.Unavailable]: 503,
  [DomainErrorCode.TooLarge]: 413,
};

/**
 * Maps every error to RFC 9457 problem+json (STYLE §7): domain codes to their status, HTTP errors
 * as they are, body-parser failures to 400/413, and anything else to a 500 with a correlation id
 * and no internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const { body, headers } = this.toProblem(error, request);
    if (response.headersSent) return;
    response.status(body.status);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  private toProblem(error: unknown, request: Request): { body: ProblemDetails; headers: Record<string, string> } {
    if (error instanceof DomainError) {
      return { body: problem(STATUS_OF_CODE[error.code], error.message, error.problems), headers: {} };
    }
    if (error instanceof HttpProblem) {
      return { body: problem(error.getStatus(), error.detail, error.errors, error.title), headers: error.headers };
    }
    const bodyParserError = describeBodyParserError(error);
    if (bodyParserError) return { body: bodyParserError, headers: {} };
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const allowed = status === 404 ? allowedMethodsFor(request) : [];
      if (allowed.length > 0) {
        // The path exists with other methods (issue 10 item 12): 405 with Allow, not 404.
        return {
          body: problem(405, `${request.method} is not allowed on ${request.path}`),
          headers: { allow: allowed.join(', ') },
        };
      }
      const detail = status === 404 ? `No route ${request.method} ${request.path}` : messageOf(error);
      return { body: { ...problem(status, detail), ...healthChecksOf(error) }, headers: {} };
    }
    if (isDataException(error)) {
      // A value Postgres cannot take (a NUL byte, an out-of-range number) that validation let
      // through: still the caller's input, so a 400 rather than a 500.
      this.logger.warn(
        { code: (error as { code?: string }).code, reqId: request.id },
        'input rejected by the database',
      );
      return { body: problem(400, 'A value in the request is not acceptable'), headers: {} };
    }
    if (isDependencyUnavailable(error)) {
      // Postgres or Redis is unreachable (issue 10 item 14): the caller may try again, so never a 500.
      this.logger.warn({ code: (error as { code?: string }).code, reqId: request.id }, 'a dependency is unavailable');
      return {
        body: problem(503, 'A dependency of the service is unavailable; try again later'),
        headers: { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
      };
    }
    if (isTransientConflict(error)) {
      this.logger.warn(
        { code: (error as { code?: string }).code, reqId: request.id },
        'a concurrent change conflicted',
      );
      return {
        body: problem(503, 'A concurrent change conflicted with this request; nothing was changed, try again'),
        headers: { 'retry-after': String(CONFLICT_RETRY_AFTER_SECONDS) },
      };
    }
    const correlationId = randomUUID();
    // No request-scoped logger (see LoggingModule): the line names its request itself.
    this.logger.error({ err: error, correlationId, reqId: request.id }, 'unhandled error');
    return {
      body: { ...problem(500, `Unexpected error; correlation id ${correlationId}`), correlationId },
      headers: {},
    };
  }
}

/** @nestjs/terminus reports a failed readiness check as a 503 whose response lists each check. */
function healthChecksOf(error: HttpException): { checks?: unknown } {
  const response = error.getResponse() as { details?: unknown };
  return typeof response === 'object' && response?.details ? { checks: response.details } : {};
}

/** SQLSTATE class 22 (data exception): invalid text, numeric out of range, bad datetime. */
function isDataException(error: unknown): boolean {
  const e = error as { name?: string; code?: unknown } | null;
  return e?.name === 'QueryFailedError' && typeof e.code === 'string' && e.code.startsWith('22');
}

function messageOf(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : error.message;
}
