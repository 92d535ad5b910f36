import { Module } from '@nestjs/common';
import { NodeRunStore } from '../engine/node-run.store.js';
import { RunStore } from '../runs/run.store.js';

/** The owners of run and node state changes, shared by the api (start, cancel, escalations) and the worker. */
@Module({ providers: [NodeRunStore, RunStore], exports: [NodeRunStore, RunStore] })
export class StoresModule {}
