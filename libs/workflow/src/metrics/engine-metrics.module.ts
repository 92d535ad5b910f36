import { Module } from '@nestjs/common';
import { QueueModule } from '../engine/queue.module.js';
import { EngineMetrics } from './engine-metrics.js';
import { RunEndCounter } from './run-end-counter.js';
import { StateGauges } from './state-gauges.js';

/** The engine's instruments (both processes): one EngineMetrics and one RunEndCounter per app. */
@Module({ providers: [EngineMetrics, RunEndCounter], exports: [EngineMetrics, RunEndCounter] })
export class EngineMetricsModule {}

/** The deployment-wide gauges (open escalations, queue depth): the api imports this, the worker does not. */
@Module({ imports: [QueueModule], providers: [StateGauges] })
export class StateGaugesModule {}
