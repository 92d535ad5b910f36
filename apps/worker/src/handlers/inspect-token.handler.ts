import { decodeJwt } from 'jose';
import type { HandlerContext, NodeHandler } from '@baton/workflow';

/**
 * An example custom handler (`"handler": "demo.inspectToken"`): it reports what it was given —
 * the rendered input and the claims of the exchanged token that matter for least privilege
 * (audience, scope, actor), never the token itself.
 */
export const inspectTokenHandler: NodeHandler = {
  name: 'demo.inspectToken',
  async run(context: HandlerContext) {
    const claims = context.accessToken ? decodeJwt(context.accessToken) : null;
    return {
      input: context.input ?? null,
      grantedScopes: context.grantedScopes,
      token: claims && {
        aud: claims.aud ?? null,
        scope: claims.scope ?? null,
        sub: claims.sub ?? null,
        act: claims.act ?? null,
      },
    };
  },
};

/** Every handler this worker registers. Add yours here. */
export const nodeHandlers: NodeHandler[] = [inspectTokenHandler];
