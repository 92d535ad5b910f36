export { cacheKey, subjectTokenDigest, type ExchangedTokenCacheKeyParts } from './cache/cache-key.js';
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
export {
  classifyExchangeError,
  exchangeErrorLabel,
  type ExchangeFailure,
  type ExchangeFailureKind,
} from './errors/exchange-failure.js';
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
export { SubjectCutoffs, type SubjectCutoff } from './inbound/subject-cutoffs.js';
export { narrowScopes, type NarrowedScopes, type ScopeNarrowingInput } from './scopes/narrow-scopes.js';
export { parseScopes, scopesFromClaims } from './scopes/parse-scopes.js';
export { findMissingScopes, findWidenedScopes } from './scopes/scope-difference.js';
export { ClientCredentialsError } from './exchange/client-authentication.js';
export {
  checkGrantedScopes,
  DEFAULT_EXPIRES_IN_SECONDS,
  toExchangedToken,
  type GrantedScopesCheck,
  type TokenResponseFields,
} from './exchange/exchange-response.js';
export {
  TokenExchangeError,
  type TokenExchangeErrorCode,
  type TokenExchangeErrorDetails,
} from './exchange/token-exchange-error.js';
export {
  TOKEN_EXCHANGE_GRANT_TYPE,
  tokenExchangeParameters,
  type TokenExchangeParametersInput,
} from './exchange/token-exchange-parameters.js';
export {
  TokenExchanger,
  type ExchangeProbeResult,
  type ExchangeRequest,
  type TokenRelease,
  type ReleasedToken,
  type ExchangeResult,
  type TokenExchangerOptions,
} from './exchange/token-exchanger.js';
export {
  SubjectTokenCipher,
  type SealedSubjectToken,
  type SubjectTokenBinding,
  type SubjectTokenCipherOptions,
} from './subject-token/subject-token-cipher.js';
export {
  SubjectTokenCipherError,
  type SubjectTokenCipherErrorCode,
} from './subject-token/subject-token-cipher-error.js';
export { scopesToRequest, type ScopeSource } from './scopes/scopes-to-request.js';
export { vendorStrategy } from './exchange/vendors/vendor-strategies.js';
export type {
  VendorStrategy,
  VendorExchangeInput,
  VendorGrantRequest,
  OAuthErrorAnswer,
} from './exchange/vendors/vendor-strategy.js';
export { JWT_BEARER_GRANT_TYPE, entraScope } from './exchange/vendors/entra.strategy.js';
export { ACTOR_TOKEN_ALGORITHMS, ActorKeyError, readActorKey, type ActorKey } from './actor/actor-key.js';
export {
  ACTOR_TOKEN_LIFETIME_SECONDS,
  ActorTokenSigner,
  actClaimOf,
  type ActClaim,
  type ActorChainLink,
  type ActorTokenRequest,
} from './actor/actor-token-signer.js';
export { actorPublicJwks } from './actor/actor-jwks.js';
export { checkMayAct, type MayActCheck } from './actor/may-act.js';
export { SetErrorCode, SetRefusal } from './ssf/set-refusal.js';
export { SET_ALGORITHMS, checkSetClaims, checkSetHeader } from './ssf/set-claims.js';
export { SsfMetadataUnavailable, fetchSsfMetadata, type SsfMetadata } from './ssf/ssf-metadata.js';
export {
  BATON_STREAM_DESCRIPTION,
  SsfDeliveryMethod,
  ourStream,
  streamRequestBody,
  streamsOf,
  type StreamConfiguration,
  type WantedStream,
} from './ssf/ssf-stream.js';
export { SetVerifier, type SetTransmitter, type SetVerifierOptions, type VerifiedSet } from './ssf/set-verifier.js';
