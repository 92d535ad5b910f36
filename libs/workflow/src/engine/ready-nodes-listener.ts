import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ChannelListener, InjectConfig, type BatonConfig } from '@baton/platform';
import { NodeQueue } from './node-queue.js';

/**
 * The channel the tree trigger (migration 1733300000000) announces a parent's newly queued nodes
 * on, and baton_fill_tenant (migration 1733450000000) the parked nodes it handed a slot.
 */
export const NODES_READY_CHANNEL = 'baton_nodes_ready';

interface ReadyNodes {
  runId: string;
  nodes: string[];
  /** The attempt the job performs (a parked retry's is above 1). */
  attempt?: number;
  handedOut?: boolean;
}

/**
 * SPEC §11: a child run that ends settles its parent node inside the child's transaction, in SQL;
 * the nodes that settlement made ready are queued in Postgres but no JavaScript caller knows them.
 * The trigger NOTIFYs them (delivered at commit) and every worker enqueues them (job ids are
 * deterministic, so several workers enqueuing the same node make one job). If no worker was
 * listening, the sweeper finds the queued rows after `STALE_QUEUED_SECONDS`.
 */
@Injectable()
export class ReadyNodesListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReadyNodesListener.name);
  private readonly listener: ChannelListener;

  constructor(
    private readonly queue: NodeQueue,
    @InjectConfig() config: BatonConfig,
  ) {
    this.listener = new ChannelListener({
      databaseUrl: config.databaseUrl,
      channel: NODES_READY_CHANNEL,
      applicationName: 'baton-ready-nodes',
      onNotify: (payload) => void this.enqueue(payload),
    });
  }

  onApplicationBootstrap(): void {
    this.listener.startInBackground();
  }

  onModuleDestroy(): Promise<void> {
    return this.listener.close();
  }

  private async enqueue(payload: string | undefined): Promise<void> {
    try {
      const { runId, nodes, attempt, handedOut } = JSON.parse(payload ?? '') as ReadyNodes;
      // A parked node handed a slot queues like a run start: behind the other tenants' runs in
      // flight, in turn with their new ones, never ahead of them (SPEC §12.1).
      await this.queue.enqueueAfterCommit(
        nodes.map((nodeId) => ({ runId, nodeId, attempt: attempt ?? 1 })),
        { start: handedOut === true },
      );
    } catch (err) {
      this.logger.warn({ err }, 'unreadable ready-nodes notification; the sweeper will enqueue its nodes');
    }
  }
}
