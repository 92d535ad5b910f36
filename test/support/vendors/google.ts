import { oauthError, type VendorBehaviour } from './vendor-server.js';

/**
 * Google Cloud Security Token Service, as documented at
 * https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token: `POST /v1/token` with
 * `grant_type` token-exchange, `audience` = the full resource name of a workload identity pool
 * provider (`//iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{pool}/providers/{provider}`),
 * `scope` (required for external credentials), `requested_token_type` access_token,
 * `subject_token`, `subject_token_type` (jwt, id_token, saml2, access_token), optional `options`
 * (a JSON object). "Do not send the Authorization HTTP header": the method takes no client
 * authentication, and unknown fields such as `client_id` are refused ("Invalid JSON payload
 * received. Unknown name"). The issued token is opaque (`ya29.…`) with `expires_in`; errors are
 * `invalid_request`, `invalid_grant` (subject token rejected), `invalid_target`, `invalid_scope`.
 */
export function googleBehaviour(options: { providers: string[] }): VendorBehaviour {
  const known = new Set([
    'grant_type',
    'audience',
    'scope',
    'requested_token_type',
    'subject_token',
    'subject_token_type',
    'options',
    'actor_token',
    'actor_token_type',
  ]);
  return {
    name: 'google',
    issuerPath: '',
    tokenPath: '/v1/token',
    async handleToken({ server, request }) {
      const { form } = request;
      if (request.headers.authorization !== undefined)
        return oauthError(400, 'invalid_request', 'The Authorization header must not be sent to this method.');
      const unknown = Object.keys(form).filter((k) => !known.has(k));
      if (unknown.length > 0)
        return oauthError(
          400,
          'invalid_request',
          `Invalid JSON payload received. Unknown name "${unknown[0]}": Cannot bind query parameter.`,
        );
      if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return oauthError(400, 'unsupported_grant_type', 'Invalid value for "grant_type".');
      if (form.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token')
        return oauthError(400, 'invalid_request', 'Invalid value for "requested_token_type".');
      const types = ['jwt', 'id_token', 'saml2', 'access_token'].map((t) => `urn:ietf:params:oauth:token-type:${t}`);
      if (!types.includes(form.subject_token_type ?? ''))
        return oauthError(400, 'invalid_request', 'Invalid value for "subject_token_type".');
      if (
        !/^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/.test(
          form.audience ?? '',
        )
      ) {
        return oauthError(
          400,
          'invalid_request',
          'Invalid value for "audience". This value should be the full resource name of the Identity Provider.',
        );
      }
      if (!options.providers.includes(form.audience!))
        return oauthError(
          400,
          'invalid_target',
          'The target service indicated by the "audience" parameters is invalid.',
        );
      if (!form.scope) return oauthError(400, 'invalid_scope', 'Scope(s) must be provided.');
      if (form.options !== undefined) {
        try {
          if (typeof JSON.parse(form.options) !== 'object') throw new Error('not an object');
        } catch {
          return oauthError(400, 'invalid_request', 'Invalid value for "options".');
        }
      }
      const subject = await server.verifyUserToken(form.subject_token);
      if (!subject.ok || server.revokedSubjects.has(String(subject.ok && subject.payload.sub)))
        return oauthError(400, 'invalid_grant', 'The given subject token is invalid or expired.');
      return server.issue({
        sub: String(subject.payload.sub),
        audience: form.audience!,
        scope: form.scope,
        answerScope: null,
        opaque: true,
        expiresIn: 3599,
      });
    },
  };
}
