import { Module } from '@nestjs/common';
import { SsfStreamRegistrar } from '@baton/workflow';
import { SsfEventsController } from './ssf-events.controller.js';

/**
 * Shared Signals push receiving (SPEC §10.2); the intake and its effects are SecurityEventsModule's
 * (global). The api, not the worker, manages `manageStream` streams at start (SPEC §10.1).
 */
@Module({ controllers: [SsfEventsController], providers: [SsfStreamRegistrar] })
export class SsfApiModule {}
