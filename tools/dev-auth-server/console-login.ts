import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { sendJson } from './http-json.js';

/** Where oidc-provider sends a browser that must sign in (its `interactions.url`). */
export const INTERACTION_PATH = '/interaction';

/** The resource indicator of Baton's API; its tokens carry `aud` = the api's audience (baton-api). */
export const BATON_API_RESOURCE = 'urn:baton:api';

/** Users the demo signs in as (tools/demo); any other name is accepted too: this is a dev server. */
export const DEMO_USERS = ['alice', 'morgan', 'ops', 'author'] as const;

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid: string, clientId: string, scope: string, loginHint: string, error?: string): string {
  const users = DEMO_USERS.map((u) => `<option value="${u}"></option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (dev authorization server)</title><link rel="icon" href="data:,">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;font-size:1rem;margin:.5rem 0}input{width:100%;padding:.4rem;box-sizing:border-box}.error{color:#a00}</style>
</head><body><main>
<h1>Sign in</h1>
<p>Development authorization server: enter a user name (e.g. ${DEMO_USERS.join(', ')}); there is no password.</p>
<p><small>${escapeHtml(clientId)} asks for: ${escapeHtml(scope)}</small></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${INTERACTION_PATH}/${escapeHtml(uid)}/login">
<label for="username">Username</label>
<input id="username" name="username" list="demo-users" autocomplete="username" required value="${escapeHtml(loginHint)}">
<datalist id="demo-users">${users}</datalist>
<button type="submit">Continue</button>
</form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * The interactive sign-in of the console's public client (dev only): a form asking for a user name,
 * no password; consent is granted at once for the scopes asked (openid and Baton's API resource).
 */
export function consoleLoginHandler(provider: Provider) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    try {
      const details = await provider.interactionDetails(req, res);
      const params = details.params as Record<string, string | undefined>;
      const scope = params.scope ?? 'openid';
      if (req.method === 'GET' && path === `${INTERACTION_PATH}/${details.uid}`) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        });
        res.end(loginPage(details.uid, params.client_id ?? '', scope, params.login_hint ?? ''));
        return;
      }
      if (req.method === 'POST' && path === `${INTERACTION_PATH}/${details.uid}/login`) {
        const username = (await readForm(req)).get('username')?.trim() ?? '';
        if (!USERNAME.test(username)) {
          res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
          res.end(
            loginPage(
              details.uid,
              params.client_id ?? '',
              scope,
              username,
              'Enter a user name (letters, digits, . _ @ -).',
            ),
          );
          return;
        }
        const grant = details.grantId
          ? ((await provider.Grant.find(details.grantId)) ??
            new provider.Grant({ accountId: username, clientId: params.client_id! }))
          : new provider.Grant({ accountId: username, clientId: params.client_id! });
        const scopes = scope.split(' ').filter(Boolean);
        grant.addOIDCScope(scopes.filter((s) => s === 'openid' || s === 'profile').join(' ') || 'openid');
        grant.addResourceScope(
          params.resource ?? BATON_API_RESOURCE,
          scopes.filter((s) => s !== 'openid' && s !== 'profile').join(' '),
        );
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: username }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      sendJson(res, 404, { error: 'not_found', error_description: 'no such interaction page' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      sendJson(res, 400, { error: 'invalid_request', error_description: `sign-in: ${message}` });
    }
  };
}
