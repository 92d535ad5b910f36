/** The `err` codes of RFC 8935 §2.4 / RFC 8936 §2.4.4 that SPEC §10.2 uses, with what each means. */
export const SetErrorCode = {
  /** Not a JWS, wrong content type or `typ`, no `events`, `sub`/`exp` present, `iat` missing or ahead, no `jti`. */
  InvalidRequest: 'invalid_request',
  /** Signature does not verify, unknown `kid`, `alg: none` or a symmetric algorithm. */
  InvalidKey: 'invalid_key',
  InvalidIssuer: 'invalid_issuer',
  InvalidAudience: 'invalid_audience',
} as const;
export type SetErrorCode = (typeof SetErrorCode)[keyof typeof SetErrorCode];

/** A SET refused: `err` and a description for the transmitter (never the SET itself). */
export class SetRefusal extends Error {
  override readonly name = 'SetRefusal';
  constructor(
    readonly err: SetErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}
