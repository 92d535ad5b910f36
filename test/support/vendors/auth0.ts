import type { JWTPayload } from 'jose';
import { oauthError, type VendorBehaviour } from './vendor-server.js';

/**
 * Auth0 Custom Token Exchange, as documented at
 * https://auth0.com/docs/get-started/authentication-and-authorization-flow/token-exchange-flow/call-your-api-using-the-custom-token-exchange-flow
 * and https://auth0.com/docs/authenticate/custom-token-exchange: RFC 8693 at `/oauth/token`
 * (issuer written with its trailing slash), client_id + client_secret (body or Basic), a
 * `subject_token_type` that maps to a Custom Token Exchange Profile (reserved namespaces such as
 * `urn:ietf` are refused), `audience` = an API identifier (unknown → `access_denied` "Service not
 * found"), `scope`. No `requested_token_type` or `resource`. The profile's Action validates the
 * subject token (`invalid_request` when it rejects it) and may deny (`access_denied`); rate
 * limits answer 429 `too_many_requests`. The Action may take an `actor_token` (the agent).
 */
export function auth0Behaviour(options: { subjectTokenType: string; apis: string[] }): VendorBehaviour {
  return {
    name: 'auth0',
    issuerPath: '/',
    tokenPath: '/oauth/token',
    async handleToken({ server, request }) {
      const { form } = request;
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return oauthError(403, 'unauthorized_client', 'Grant type not allowed for the client.');
      const client = server.authenticateClient(request, ['post', 'basic']);
      if (client.error) return oauthError(401, 'access_denied', 'Unauthorized');
      if (/^(urn:ietf|urn:auth0|urn:okta|https?:\/\/(auth0|okta)\.com)/i.test(form.subject_token_type ?? '')) {
        return oauthError(400, 'invalid_request', 'subject_token_type uses a reserved namespace');
      }
      if (form.subject_token_type !== options.subjectTokenType)
        return oauthError(400, 'invalid_request', 'No Custom Token Exchange Profile for this subject_token_type');
      if (form.requested_token_type !== undefined)
        return oauthError(400, 'invalid_request', 'requested_token_type is not supported');
      if (form.resource !== undefined) return oauthError(400, 'invalid_request', 'resource is not supported');
      if (!form.audience || !options.apis.includes(form.audience))
        return oauthError(403, 'access_denied', `Service not found: ${form.audience ?? ''}`);
      // The Custom Token Exchange Action: validate the subject token, set the user.
      const subject = await server.verifyUserToken(form.subject_token);
      if (!subject.ok || server.revokedSubjects.has(String(subject.ok && subject.payload.sub)))
        return oauthError(400, 'invalid_request', 'Invalid subject token');
      const payload = subject.payload as JWTPayload;
      const actor = await server.verifyActorToken(form);
      if (actor.error) return actor.error;
      const act = actor.payload
        ? {
            sub: actor.payload.sub,
            iss: actor.payload.iss,
            ...(actor.payload.act !== undefined && { act: actor.payload.act }),
          }
        : undefined;
      return server.issue({ sub: String(payload.sub), audience: form.audience, scope: form.scope ?? '', act });
    },
  };
}
