import { Module } from '@nestjs/common';
import { NodeRunStore } from '../engine/node-run.store.js';
import { RunStore } from '../runs/run.store.js';
import { EngineMetricsModule } from '../metrics/engine-metrics.module.js';
import { TenantLimits } from './tenant-limits.js';

/** The owners of run and node state changes, shared by the api (start, cancel, escalations) and the worker. */
@Module({
  imports: [EngineMetricsModule],
  providers: [NodeRunStore, RunStore, TenantLimits],
  exports: [NodeRunStore, RunStore, TenantLimits, EngineMetricsModule],
})
export class StoresModule {}
