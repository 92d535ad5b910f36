import { Global, Module } from '@nestjs/common';
import { SubjectCutoffs } from '@baton/oauth';
import { AuditModule } from '../audit/audit.module.js';
import { WorkflowDefinitionsModule } from '../definitions/definitions.module.js';
import { QueueModule } from '../engine/queue.module.js';
import { StoresModule } from '../persistence/stores.module.js';
import { SubjectTokenModule } from '../runs/subject-token.module.js';
import { RevokedSubjectTokens } from './revoked-subject-tokens.js';
import { SecurityBroadcast } from './security-broadcast.js';
import { SecurityEventSink } from './security-event.js';
import { SecurityEventApplier } from './security-event-applier.js';
import { SecurityEventStore } from './security-event.store.js';
import { SecurityNoticeListener } from './security-notice-listener.js';
import { SetIntake } from './set-intake.js';

/**
 * Shared Signals effects (SPEC §10.3), in the api and the worker alike: the sink that applies
 * verified SETs, the cut-offs the inbound token verifier consults, the revoked subject tokens the
 * executor checks, and the broadcast that keeps every process in step.
 */
@Global()
@Module({
  imports: [AuditModule, StoresModule, SubjectTokenModule, WorkflowDefinitionsModule, QueueModule],
  providers: [
    { provide: SubjectCutoffs, useValue: new SubjectCutoffs() },
    { provide: RevokedSubjectTokens, useValue: new RevokedSubjectTokens() },
    SecurityBroadcast,
    SecurityEventStore,
    SecurityEventApplier,
    { provide: SecurityEventSink, useExisting: SecurityEventApplier },
    SecurityNoticeListener,
    SetIntake,
  ],
  exports: [SubjectCutoffs, RevokedSubjectTokens, SecurityEventSink, SetIntake],
})
export class SecurityEventsModule {}
