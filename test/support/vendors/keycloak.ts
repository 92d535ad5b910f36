import { audiencesOf, oauthError, type VendorBehaviour } from './vendor-server.js';

/**
 * Keycloak ≥ 26.2 "standard token exchange", as documented at
 * https://www.keycloak.org/securing-apps/token-exchange (section "Standard token exchange",
 * "Making the request" and "Error responses"): RFC 8693 at
 * `/realms/{realm}/protocol/openid-connect/token`, a confidential client (basic or post), only
 * `urn:ietf:params:oauth:token-type:access_token` subject tokens, `audience` = a client id of the
 * realm, `scope` among the client scopes, no `resource` parameter; an invalid, expired or revoked
 * subject token answers `invalid_request` "Invalid token"; a requesting client absent from the
 * subject token's `aud` answers `access_denied` "Client is not within the token audience".
 * The answer carries no `scope`: the issued JWT's `scope` claim says what was granted.
 */
export function keycloakBehaviour(options: { knownClients: string[]; realm?: string }): VendorBehaviour {
  const realm = options.realm ?? 'baton';
  return {
    name: 'keycloak',
    issuerPath: `/realms/${realm}`,
    tokenPath: `/realms/${realm}/protocol/openid-connect/token`,
    async handleToken({ server, request }) {
      const { form } = request;
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return oauthError(400, 'unsupported_grant_type', 'Unsupported grant_type');
      const client = server.authenticateClient(request, ['basic', 'post']);
      if (client.error) return oauthError(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      if (form.resource !== undefined)
        return oauthError(400, 'invalid_request', "Parameter 'resource' is not supported for standard token exchange");
      if (form.subject_token_type !== 'urn:ietf:params:oauth:token-type:access_token')
        return oauthError(400, 'invalid_request', 'Parameter subject_token_type not supported');
      const requested = form.requested_token_type ?? 'urn:ietf:params:oauth:token-type:access_token';
      if (
        !['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:refresh_token'].includes(
          requested,
        )
      ) {
        return oauthError(400, 'invalid_request', 'requested_token_type unsupported');
      }
      if (form.actor_token !== undefined)
        return oauthError(400, 'invalid_request', 'Parameter actor_token is not supported');
      const subject = await server.verifyUserToken(form.subject_token);
      if (!subject.ok || server.revokedSubjects.has(String(subject.ok && subject.payload.sub)))
        return oauthError(400, 'invalid_request', 'Invalid token');
      const { payload } = subject as { payload: import('jose').JWTPayload };
      if (!audiencesOf(payload).includes(client.clientId!))
        return oauthError(403, 'access_denied', 'Client is not within the token audience');
      if (form.audience !== undefined && !options.knownClients.includes(form.audience))
        return oauthError(400, 'invalid_client', 'Audience not found');
      const userScopes = String(payload.scope ?? '').split(' ');
      const scopes = (form.scope ?? '').split(' ').filter(Boolean);
      const invalid = scopes.filter((s) => !userScopes.includes(s));
      if (invalid.length > 0) return oauthError(400, 'invalid_scope', `Invalid scopes: ${invalid.join(' ')}`);
      return server.issue(
        {
          sub: String(payload.sub),
          audience: form.audience ?? client.clientId!,
          scope: scopes.join(' '),
          answerScope: null,
        },
        requested,
      );
    },
  };
}
