import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { oauthError, type VendorAnswer, type VendorBehaviour, type VendorServer } from './vendor-server.js';

/**
 * Microsoft Entra ID on-behalf-of, as documented at
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow ("First case:
 * Access token request with a shared secret", "Second case: … with a certificate", "Error response
 * example") and https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 * (assertion header `x5t#S256`, `aud` = the token endpoint, `iss` = `sub` = client id):
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion`, `requested_token_use=
 * on_behalf_of`, `scope` of `{application id URI}/{scope}` names (`.default` too), `client_secret`
 * in the body or a certificate `client_assertion`; no `resource` (AADSTS901002). Errors carry
 * `error_codes` and, for Conditional Access, a `claims` challenge
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes): AADSTS65001
 * (no consent, `invalid_grant`), AADSTS50076 (`interaction_required`), AADSTS500133 (assertion
 * outside its validity), AADSTS50173 (grant revoked), AADSTS70011 (invalid scope),
 * AADSTS7000215/700027 (bad secret / assertion).
 */
export interface EntraOptions {
  tenant?: string;
  /** application id URI → scopes exposed by that API (registered casing). */
  apis: Record<string, string[]>;
  /** client id → secret; or its certificate (PEM) for assertions. */
  clients: Array<{ clientId: string; clientSecret?: string; certificate?: string }>;
  /** users who have not consented to a scope (AADSTS65001). */
  noConsent?: Set<string>;
}

export const ENTRA_CLAIMS_CHALLENGE = '{"access_token":{"capolids":{"essential":true,"values":["c3ad3b3e-mfa"]}}}';

export function entraBehaviour(options: EntraOptions): VendorBehaviour {
  const tenant = options.tenant ?? 'contoso-tenant';
  return {
    name: 'entra',
    issuerPath: `/${tenant}/v2.0`,
    tokenPath: `/${tenant}/oauth2/v2.0/token`,
    async handleToken({ server, request }) {
      const { form } = request;
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return aadsts(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
      if (form.requested_token_use !== 'on_behalf_of')
        return aadsts(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'requested_token_use'.",
        );
      if (form.resource !== undefined)
        return aadsts(400, 'invalid_request', 901002, "The 'resource' request parameter is not supported.");
      if (form.audience !== undefined || form.subject_token !== undefined)
        return aadsts(400, 'invalid_request', 900144, 'Unexpected RFC 8693 parameters on an on-behalf-of request.');
      if (typeof request.headers.authorization === 'string')
        return aadsts(
          401,
          'invalid_client',
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      const client = await authenticate(server, form, options);
      if ('error' in client) return client.error;
      if (!form.assertion)
        return aadsts(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'assertion'.",
        );
      const subject = await server.verifyUserToken(form.assertion);
      if (!subject.ok) {
        return subject.reason === 'expired'
          ? aadsts(400, 'invalid_grant', 500133, 'Assertion is not within its valid time range.')
          : aadsts(400, 'invalid_grant', 50013, 'Assertion failed signature validation.');
      }
      const user = String(subject.payload.sub);
      if (server.revokedSubjects.has(user))
        return aadsts(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being revoked.');
      const requested = (form.scope ?? '').split(' ').filter(Boolean);
      if (requested.length === 0)
        return aadsts(400, 'invalid_scope', 70011, "The provided value for the input parameter 'scope' is not valid.");
      const granted: string[] = [];
      let audience: string | undefined;
      for (const scope of requested) {
        const match = Object.entries(options.apis).find(([uri]) =>
          scope.toLowerCase().startsWith(`${uri.toLowerCase()}/`),
        );
        const name = match && match[1].find((s) => s.toLowerCase() === scope.slice(match[0].length + 1).toLowerCase());
        if (!match || !name)
          return aadsts(
            400,
            'invalid_scope',
            70011,
            `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
          );
        if (audience !== undefined && audience !== match[0])
          return aadsts(400, 'invalid_scope', 70011, 'Scopes of more than one resource were requested.');
        audience = match[0];
        granted.push(`${match[0]}/${name}`);
      }
      if (options.noConsent?.has(user)) {
        return aadsts(
          400,
          'invalid_grant',
          65001,
          `The user or administrator has not consented to use the application with ID '${client.clientId}'.`,
          { suberror: 'consent_required' },
        );
      }
      const answer = await server.issue({
        sub: user,
        audience: audience!,
        scope: granted.map((s) => s.slice(audience!.length + 1)).join(' '),
        answerScope: granted.join(' '),
        extra: { ext_expires_in: 300 },
      });
      delete answer.body.issued_token_type;
      return answer;
    },
  };
}

/** An Entra error body: `error`, `error_description` "AADSTSnnn: …", `error_codes`, trace ids, optional `claims`. */
export function aadsts(
  status: number,
  error: string,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): VendorAnswer {
  return oauthError(
    status,
    error,
    `AADSTS${code}: ${message}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    {
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
      ...extra,
    },
  );
}

async function authenticate(
  server: VendorServer,
  form: Record<string, string>,
  options: EntraOptions,
): Promise<{ clientId: string } | { error: VendorAnswer }> {
  const client = options.clients.find((c) => c.clientId === form.client_id);
  if (!client)
    return {
      error: aadsts(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id}' was not found in the directory.`,
      ),
    };
  if (form.client_secret !== undefined) {
    if (form.client_assertion !== undefined || client.clientSecret !== form.client_secret) {
      return { error: aadsts(401, 'invalid_client', 7000215, 'Invalid client secret provided.') };
    }
    return { clientId: client.clientId };
  }
  if (
    form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
    !form.client_assertion ||
    !client.certificate
  ) {
    return {
      error: aadsts(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      ),
    };
  }
  const certificate = new X509Certificate(client.certificate);
  const thumbprint = createHash('sha256').update(certificate.raw).digest('base64url');
  const header = decodeProtectedHeader(form.client_assertion);
  if (header['x5t#S256'] !== thumbprint)
    return {
      error: aadsts(
        401,
        'invalid_client',
        700027,
        'Client assertion contains an invalid signature. [Reason - The key was not found.]',
      ),
    };
  if (header.alg !== 'PS256' && header.alg !== 'RS256')
    return { error: aadsts(401, 'invalid_client', 700027, 'Client assertion failed signature validation.') };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(form.client_assertion, certificate.publicKey, {
      requiredClaims: ['exp', 'jti', 'iss', 'sub', 'aud'],
    }));
  } catch {
    return { error: aadsts(401, 'invalid_client', 700027, 'Client assertion failed signature validation.') };
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(server.tokenEndpoint))
    return {
      error: aadsts(401, 'invalid_client', 700024, 'Client assertion audience claim does not match Realm issuer.'),
    };
  if (payload.iss !== client.clientId || payload.sub !== client.clientId)
    return { error: aadsts(401, 'invalid_client', 700023, 'Client assertion issuer or subject is not the client id.') };
  return { clientId: client.clientId };
}
