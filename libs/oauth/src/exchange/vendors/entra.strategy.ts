import type { ExchangeProfile } from '@baton/platform';
import { createHash, X509Certificate } from 'node:crypto';
import { modifyAssertion, PrivateKeyJwt, type ClientAuth } from 'openid-client';
import { ClientCredentialsError, clientAuthentication, importPrivateKey } from '../client-authentication.js';
import { withExtraParams } from './rfc8693-request.js';
import type { OAuthErrorAnswer, VendorStrategy, VendorErrorVerdict } from './vendor-strategy.js';

/** RFC 7523 §2.1: the grant Entra's on-behalf-of flow rides on. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** AADSTS65001: the user or an administrator has not consented to the application. */
const CONSENT_NOT_GRANTED = 65001;
/** AADSTS500133: the assertion is not within its valid time range (the user's token expired). */
const ASSERTION_OUTSIDE_VALIDITY = 500133;

/**
 * Microsoft Entra ID on-behalf-of (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow),
 * which is not RFC 8693: `grant_type=…:jwt-bearer`, `assertion` = the user's token,
 * `requested_token_use=on_behalf_of`, `scope` = each scope prefixed by the node audience
 * (`api://expenses` + `Expenses.Read` → `api://expenses/Expenses.Read`); no `audience` or
 * `resource`. The client authenticates with a secret in the body or a certificate assertion
 * (https://learn.microsoft.com/entra/identity-platform/certificate-credentials): header
 * `x5t#S256`, `aud` = the token endpoint. The answer's `scope` is read back without the prefix,
 * case-insensitively.
 */
export const entraStrategy: VendorStrategy = {
  vendor: 'entra',
  buildRequest: (profile, input) => {
    const params = new URLSearchParams();
    params.set('assertion', input.subjectToken);
    params.set('requested_token_use', 'on_behalf_of');
    const scope = [...new Set(input.scopes)].map((s) => entraScope(s, input.audience)).join(' ');
    if (scope) params.set('scope', scope);
    return { grantType: JWT_BEARER_GRANT_TYPE, parameters: withExtraParams(params, profile.extraParams) };
  },
  clientAuthentication: (profile) =>
    profile.clientAuth === 'private_key_jwt' ? certificateAssertion(profile) : clientAuthentication(profile),
  grantedScope: (response, input) => {
    if (response.scope === undefined) return undefined;
    return response.scope
      .split(/\s+/)
      .filter(Boolean)
      .map((granted) => {
        const bare = withoutAudience(granted, input.audience);
        return input.scopes.find((requested) => requested.toLowerCase() === bare.toLowerCase()) ?? bare;
      })
      .join(' ');
  },
  classifyError: classifyEntraError,
};

/** A scope as Entra names it: prefixed by the resource's application id URI unless it is a URI. */
export function entraScope(scope: string, audience: string | undefined): string {
  if (!audience || /^[a-z][a-z0-9+.-]*:\/\//i.test(scope) || scope.includes('/')) return scope;
  return `${audience.replace(/\/+$/, '')}/${scope}`;
}

function withoutAudience(scope: string, audience: string | undefined): string {
  if (!audience) return scope;
  const prefix = `${audience.replace(/\/+$/, '')}/`;
  return scope.toLowerCase().startsWith(prefix.toLowerCase()) ? scope.slice(prefix.length) : scope;
}

function classifyEntraError(answer: OAuthErrorAnswer): VendorErrorVerdict {
  const codes = Array.isArray(answer.body.error_codes)
    ? answer.body.error_codes.filter((c): c is number => typeof c === 'number')
    : [];
  const claims = typeof answer.body.claims === 'string' && answer.body.claims !== '' ? answer.body.claims : undefined;
  const consent = (): VendorErrorVerdict => ({
    kind: 'consent_required',
    escalationDetail:
      `Entra needs consent or interaction (${answer.error}${codes.length ? ` AADSTS${codes.join(', AADSTS')}` : ''})` +
      (claims ? `; claims challenge: ${claims}` : ''),
  });
  if (answer.error === 'interaction_required') return consent();
  if (answer.error === 'invalid_grant') {
    if (codes.includes(CONSENT_NOT_GRANTED)) return consent();
    if (codes.includes(ASSERTION_OUTSIDE_VALIDITY)) return { kind: 'token_expired' };
    return { kind: 'revoked' };
  }
  return undefined;
}

/** private_key_jwt with the certificate's SHA-256 thumbprint in `x5t#S256` and `aud` = the token endpoint. */
async function certificateAssertion(profile: ExchangeProfile): Promise<ClientAuth> {
  const where = `exchange profile "${profile.name}"`;
  let thumbprint: string;
  try {
    thumbprint = createHash('sha256')
      .update(new X509Certificate(profile.certificate ?? '').raw)
      .digest('base64url');
  } catch {
    throw new ClientCredentialsError(`${where}: certificateEnv does not hold a PEM X.509 certificate`);
  }
  const { key } = await importPrivateKey(profile);
  return (as, client, body, headers) =>
    PrivateKeyJwt(key, {
      [modifyAssertion]: (header, payload) => {
        header['x5t#S256'] = thumbprint;
        delete header.kid;
        payload.aud = as.token_endpoint ?? payload.aud;
      },
    })(as, client, body, headers);
}
