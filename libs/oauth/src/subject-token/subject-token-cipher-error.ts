/**
 * Why a stored subject token could not be opened. `unknown_key`: it was sealed with a key that is
 * neither the current nor a previous one; `malformed`: too short to be a sealed token;
 * `authentication_failed`: altered, or sealed with another key under the same id. Messages never
 * hold token material.
 */
export type SubjectTokenCipherErrorCode = 'unknown_key' | 'malformed' | 'authentication_failed';

export class SubjectTokenCipherError extends Error {
  override readonly name = 'SubjectTokenCipherError';

  constructor(
    readonly code: SubjectTokenCipherErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
