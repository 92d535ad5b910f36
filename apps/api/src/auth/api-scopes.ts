import { Injectable } from '@nestjs/common';
import { type ApiScopeKey, type BatonConfig, InjectConfig } from '@baton/platform';

/** The scope strings configured for Baton's API scope keys (`api.scopes`). */
@Injectable()
export class ApiScopes {
  constructor(@InjectConfig() private readonly config: BatonConfig) {}

  nameOf(key: ApiScopeKey): string {
    return this.config.api.scopes[key];
  }
}
