/**
 * Why an inbound bearer token was not accepted. `invalid_token` is the caller's problem (401);
 * `issuer_unavailable` means the token could not be checked because its trusted issuer's metadata
 * or keys could not be fetched (503). The message is safe to return to the caller: it never holds
 * the token or anything read from an untrusted token.
 */
export type InboundTokenErrorCode = 'invalid_token' | 'issuer_unavailable';

export class InboundTokenError extends Error {
  override readonly name = 'InboundTokenError';

  constructor(
    readonly code: InboundTokenErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
