import { Injectable } from '@nestjs/common';
import { type ApiScopeKey, type BatonConfig, InjectConfig } from '@baton/platform';
import type { AuthenticatedUser } from './authenticated-user.js';

/** Answers "does this caller hold the API scope configured for <key>?" */
@Injectable()
export class ApiScopes {
  constructor(@InjectConfig() private readonly config: BatonConfig) {}

  nameOf(key: ApiScopeKey): string {
    return this.config.api.scopes[key];
  }

  has(user: AuthenticatedUser, key: ApiScopeKey): boolean {
    return user.scopes.includes(this.nameOf(key));
  }
}
