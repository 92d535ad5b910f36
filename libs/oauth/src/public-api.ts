export { cacheKey, type ExchangedTokenCacheKeyParts } from './cache/cache-key.js';
export {
  ExchangedTokenCache,
  type ExchangedToken,
  type ExchangedTokenCacheOptions,
} from './cache/exchanged-token-cache.js';
export {
  classifyDownstreamStatus,
  type DownstreamStatusClass,
  type DownstreamStatusKind,
} from './errors/downstream-status.js';
export { classifyExchangeError, type ExchangeFailure, type ExchangeFailureKind } from './errors/exchange-failure.js';
export { parseRetryAfter } from './errors/retry-after.js';
export { InboundTokenError, type InboundTokenErrorCode } from './inbound/inbound-token-error.js';
export {
  INBOUND_TOKEN_ALGORITHMS,
  InboundTokenVerifier,
  MAX_CLOCK_TOLERANCE_SECONDS,
  type InboundTokenVerifierOptions,
  type VerifiedPrincipal,
} from './inbound/inbound-token-verifier.js';
export type { TrustedIssuer } from './inbound/issuer-key-sets.js';
export { narrowScopes, type NarrowedScopes, type ScopeNarrowingInput } from './scopes/narrow-scopes.js';
export { parseScopes, scopesFromClaims } from './scopes/parse-scopes.js';
export { findMissingScopes, findWidenedScopes } from './scopes/scope-difference.js';
