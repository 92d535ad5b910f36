import type { ExchangeProfile, ExchangeVendor } from '@baton/platform';
import type { ClientAuth } from 'openid-client';
import type { ExchangeFailureKind } from '../../errors/exchange-failure.js';

/** What one exchange asks a vendor for (the profile's own settings come beside it). */
export interface VendorExchangeInput {
  subjectToken: string;
  audience?: string;
  resource?: string;
  /** The scopes to request, in Baton's names (a vendor may spell them differently on the wire). */
  scopes: readonly string[];
  /** RFC 8693 actor token (SPEC §9.3), for vendors that accept one. */
  actorToken?: { token: string; type: string };
}

/** The grant openid-client's `genericGrantRequest` sends: its `grant_type` and the other form fields. */
export interface VendorGrantRequest {
  grantType: string;
  parameters: URLSearchParams;
}

/** An OAuth error answer (a 4xx with a JSON `{error}` body), as a vendor classifier sees it. */
export interface OAuthErrorAnswer {
  error: string;
  description?: string;
  status?: number;
  /** The whole JSON body: vendors put more in it (Entra: `error_codes`, `claims`). */
  body: Record<string, unknown>;
}

/** A vendor's reading of an error answer; `undefined` leaves it to the generic RFC 8693 table. */
export type VendorErrorVerdict = { kind: ExchangeFailureKind; escalationDetail?: string } | undefined;

/** The fields of a token response a vendor reads the granted scopes from. */
export interface GrantedScopeSource {
  access_token: string;
  scope?: string;
}

/**
 * How Baton talks to one kind of authorization server (SPEC §9.1): the request it builds, how the
 * client authenticates, how the granted scopes are read back and how its error answers are read.
 * `TokenExchanger` holds no vendor knowledge beyond picking the strategy of the profile.
 */
export interface VendorStrategy {
  readonly vendor: ExchangeVendor;
  buildRequest(profile: ExchangeProfile, input: VendorExchangeInput): VendorGrantRequest;
  clientAuthentication(profile: ExchangeProfile): Promise<ClientAuth>;
  /**
   * The granted scopes as a space-separated string in Baton's names, or `undefined` for "exactly
   * what was requested" (RFC 6749 §5.1).
   */
  grantedScope(response: GrantedScopeSource, input: VendorExchangeInput): string | undefined;
  classifyError(answer: OAuthErrorAnswer): VendorErrorVerdict;
}
