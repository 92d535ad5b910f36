import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InboundTokenError, InboundTokenVerifier } from '@baton/oauth';
import { IS_PUBLIC, InjectConfig, type ApiScopeKey, type BatonConfig } from '@baton/platform';
import { HttpProblem } from '../http/problem-details.js';
import { ApiScopes } from './api-scopes.js';
import type { AuthenticatedRequest } from './authenticated-user.js';
import { REQUIRED_SCOPE } from './requires-scope.decorator.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * Global guard: every route but @Public() ones needs a valid bearer token (SPEC §2), and a
 * @RequiresScope() route also the configured scope. Errors follow RFC 6750.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: InboundTokenVerifier,
    private readonly scopes: ApiScopes,
    @InjectConfig() private readonly config: BatonConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header)
      throw new HttpProblem(401, 'Unauthorized', 'A bearer token is required', {
        'WWW-Authenticate': 'Bearer realm="baton"',
      });
    const token = BEARER.exec(header)?.[1];
    if (!token) throw invalidToken('The Authorization header is not a bearer token');

    try {
      const principal = await this.verifier.verify(token);
      request.user = {
        // The verifier accepts trusted issuers only, and each belongs to exactly one tenant (SPEC §12.1).
        tenant: this.config.issuerTenants[principal.issuer]!,
        issuer: principal.issuer,
        subject: principal.subject,
        scopes: principal.scopes,
        expiresAt: principal.expiresAt,
        ...identityClaims(principal.claims),
        may: (key) => principal.scopes.includes(this.scopes.nameOf(key)),
        token,
      };
    } catch (error) {
      if (error instanceof InboundTokenError && error.code === 'issuer_unavailable') {
        throw new HttpProblem(503, 'Service Unavailable', 'The token issuer cannot be reached to verify the token', {
          'Retry-After': '5',
        });
      }
      if (error instanceof InboundTokenError) throw invalidToken(error.message);
      throw error;
    }

    const required = this.reflector.getAllAndOverride<ApiScopeKey | undefined>(REQUIRED_SCOPE, targets);
    if (required && !request.user.may(required)) {
      const scope = this.scopes.nameOf(required);
      throw new HttpProblem(403, 'Forbidden', `This operation needs the scope ${scope}`, {
        'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
      });
    }
    return true;
  }
}

function identityClaims(claims: Record<string, unknown>): { email?: string; sessionId?: string } {
  return {
    ...(typeof claims.email === 'string' && { email: claims.email }),
    ...(typeof claims.sid === 'string' && { sessionId: claims.sid }),
  };
}

function invalidToken(description: string): HttpProblem {
  const safe = description.replace(/["\\\r\n]/g, "'");
  return new HttpProblem(401, 'Unauthorized', description, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${safe}"`,
  });
}
