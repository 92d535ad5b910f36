import { Injectable } from '@nestjs/common';
import { ApiScopeKey } from '@baton/platform';
import type { RunCaller } from '@baton/workflow';
import { ApiScopes } from '../auth/api-scopes.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';

/** Turns the authenticated user into what the run services check ownership against. */
@Injectable()
export class RunCallers {
  constructor(private readonly scopes: ApiScopes) {}

  of(user: AuthenticatedUser): RunCaller {
    return {
      issuer: user.issuer,
      subject: user.subject,
      scopes: user.scopes,
      expiresAt: user.expiresAt,
      canReadAll: this.scopes.has(user, ApiScopeKey.RunsReadAll),
    };
  }
}
