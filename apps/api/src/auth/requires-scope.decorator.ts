import { SetMetadata } from '@nestjs/common';
import type { ApiScopeKey } from '@baton/platform';

export const REQUIRED_SCOPE = 'baton:required-scope';

/**
 * The route needs the API scope configured under `api.scopes.<key>` (SPEC §2). The key, not the
 * scope string, is named here so that deployments can rename scopes in baton.yaml.
 */
export const RequiresScope = (key: ApiScopeKey): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPE, key);
