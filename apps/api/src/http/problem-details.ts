import { HttpException } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details; `errors` lists each problem with its JSON path. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

/** An HTTP error that also carries response headers (WWW-Authenticate, Retry-After). */
export class HttpProblem extends HttpException {
  constructor(
    status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: { path: string; message: string }[],
  ) {
    super(detail, status);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  detail: string,
  errors?: ProblemDetails['errors'],
  title?: string,
): ProblemDetails {
  const t = title ?? TITLES[status] ?? 'Error';
  return {
    type: `https://baton.dev/problems/${t.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    title: t,
    status,
    detail,
    ...(errors && errors.length ? { errors } : {}),
  };
}
