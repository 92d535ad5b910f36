import type { JWTPayload } from 'jose';
import { oauthError, type VendorBehaviour } from './vendor-server.js';

/**
 * Okta On-Behalf-Of Token Exchange at a custom authorization server, as documented at
 * https://developer.okta.com/docs/guides/set-up-token-exchange/-/main/ ("Exchange the token"):
 * RFC 8693 at `/oauth2/{authServerId}/v1/token`, client authentication of the service app,
 * `subject_token_type` access_token, `audience` = the target authorization server's audience
 * (required), `scope` granted by the access policy — others answer `invalid_scope`; a policy that
 * denies answers `access_denied`; an invalid or revoked subject token `invalid_grant`. RFC 7662
 * introspection at `/oauth2/{authServerId}/v1/introspect`
 * (https://developer.okta.com/docs/reference/api/oidc/#introspect).
 */
export function oktaBehaviour(options: {
  audiences: string[];
  policyScopes: string[];
  authServerId?: string;
}): VendorBehaviour {
  const server = options.authServerId ?? 'aus-baton';
  return {
    name: 'okta',
    issuerPath: `/oauth2/${server}`,
    tokenPath: `/oauth2/${server}/v1/token`,
    introspectionPath: `/oauth2/${server}/v1/introspect`,
    async handleToken({ server: as, request }) {
      const { form } = request;
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return oauthError(
          400,
          'unsupported_grant_type',
          'The authorization grant type is not supported by the authorization server.',
        );
      const client = as.authenticateClient(request, ['basic', 'post']);
      if (client.error) return oauthError(401, 'invalid_client', 'Client authentication failed.');
      if (form.subject_token_type !== 'urn:ietf:params:oauth:token-type:access_token')
        return oauthError(400, 'invalid_request', "The 'subject_token_type' is not supported.");
      if (!form.audience) return oauthError(400, 'invalid_request', "The 'audience' parameter is required.");
      if (!options.audiences.includes(form.audience))
        return oauthError(400, 'invalid_target', "The 'audience' parameter is invalid.");
      if (!form.scope) return oauthError(400, 'invalid_scope', "The 'scope' parameter is required.");
      const subject = await as.verifyUserToken(form.subject_token);
      if (!subject.ok || as.revokedSubjects.has(String(subject.ok && subject.payload.sub)))
        return oauthError(400, 'invalid_grant', "The 'subject_token' is invalid.");
      const payload = subject.payload as JWTPayload;
      const scopes = form.scope.split(' ');
      const outside = scopes.filter((s) => !options.policyScopes.includes(s));
      if (outside.length > 0)
        return oauthError(
          400,
          'invalid_scope',
          `One or more scopes are not configured for the authorization server resource: ${outside.join(' ')}`,
        );
      return as.issue({ sub: String(payload.sub), audience: form.audience, scope: scopes.join(' ') });
    },
  };
}
