import { Module } from '@nestjs/common';
import { BATON_CONFIG, type BatonConfig } from '@baton/platform';
import { TenantExchangers } from '../engine/tenant-exchangers.js';
import { AuditModule } from '../audit/audit.module.js';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { WorkflowPreflight } from './workflow-preflight.js';

/**
 * Preflight (SPEC §12.2), hosted by the api. The api's own exchangers: preflight probes
 * never use its cache, so nothing is shared with (or cached apart from) the workers' exchangers.
 */
@Module({
  imports: [WorkflowDefinitionsModule, AuditModule],
  providers: [
    {
      provide: TenantExchangers,
      inject: [BATON_CONFIG],
      useFactory: (config: BatonConfig) => new TenantExchangers(config),
    },
    WorkflowPreflight,
  ],
  exports: [WorkflowPreflight],
})
export class PreflightModule {}
