import { Module } from '@nestjs/common';
import { BATON_CONFIG, type BatonConfig } from '@baton/platform';
import { TokenExchanger } from '@baton/oauth';
import { AuditModule } from '../audit/audit.module.js';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { WorkflowPreflight } from './workflow-preflight.js';

/**
 * Preflight (SPEC §12.2), hosted by the api. The api's own `TokenExchanger`: preflight probes
 * never use its cache, so nothing is shared with (or cached apart from) the workers' exchangers.
 */
@Module({
  imports: [WorkflowDefinitionsModule, AuditModule],
  providers: [
    {
      provide: TokenExchanger,
      inject: [BATON_CONFIG],
      useFactory: (config: BatonConfig) => new TokenExchanger({ profiles: config.exchangeProfiles }),
    },
    WorkflowPreflight,
  ],
  exports: [WorkflowPreflight],
})
export class PreflightModule {}
