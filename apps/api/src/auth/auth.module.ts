import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { InboundTokenVerifier, SubjectCutoffs } from '@baton/oauth';
import { BATON_CONFIG, type BatonConfig } from '@baton/platform';
import { ApiScopes } from './api-scopes.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';

/** Inbound bearer tokens (SPEC §2): one verifier per process, a global guard, the scope policy. */
@Global()
@Module({
  providers: [
    {
      provide: InboundTokenVerifier,
      inject: [BATON_CONFIG, SubjectCutoffs],
      useFactory: (config: BatonConfig, cutoffs: SubjectCutoffs) =>
        new InboundTokenVerifier({
          cutoffs,
          audience: config.api.audience,
          trustedIssuers: Object.values(config.tenants).flatMap((tenant) => tenant.trustedIssuers),
          refusedClientIds: Object.values(config.tenants).flatMap((tenant) =>
            Object.values(tenant.exchangeProfiles).map((profile) => profile.clientId),
          ),
        }),
    },
    ApiScopes,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [InboundTokenVerifier, ApiScopes],
})
export class AuthModule {}
