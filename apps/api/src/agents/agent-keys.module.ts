import { Module } from '@nestjs/common';
import { actorPublicJwks } from '@baton/oauth';
import { BATON_CONFIG, type BatonConfig } from '@baton/platform';
import { AGENT_JWKS } from './agent-jwks.token.js';
import { AgentKeysController } from './agent-keys.controller.js';

/** Publishes the actor token keys of every tenant's exchange profiles (current and retired), read once at boot. */
@Module({
  controllers: [AgentKeysController],
  providers: [
    {
      provide: AGENT_JWKS,
      inject: [BATON_CONFIG],
      useFactory: (config: BatonConfig) =>
        actorPublicJwks(
          Object.fromEntries(
            Object.values(config.tenants).flatMap((tenant) =>
              Object.entries(tenant.exchangeProfiles).map(([name, profile]) => [`${tenant.name}/${name}`, profile]),
            ),
          ),
        ),
    },
  ],
})
export class AgentKeysModule {}
