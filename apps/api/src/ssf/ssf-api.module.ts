import { Module } from '@nestjs/common';
import { SsfEventsController } from './ssf-events.controller.js';

/** Shared Signals push receiving (SPEC §10.2); the intake and its effects are SecurityEventsModule's (global). */
@Module({ controllers: [SsfEventsController] })
export class SsfApiModule {}
