/**
 * The one error type of the domain: a stable `code` the API maps to HTTP (RFC 9457), a safe
 * message, and optional problems (each with a JSON path). Libs throw this, never HttpException.
 */
export const DomainErrorCode = {
  InvalidInput: 'invalid_input',
  Unprocessable: 'unprocessable',
  NotFound: 'not_found',
  Conflict: 'conflict',
  Forbidden: 'forbidden',
  Unavailable: 'unavailable',
  /** A value over a size limit (a run input over 256 KiB): 413. */
  TooLarge: 'too_large',
} as const;
export type DomainErrorCode = (typeof DomainErrorCode)[keyof typeof DomainErrorCode];

export interface Problem {
  path: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly problems?: Problem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
