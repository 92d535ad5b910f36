import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ChannelListener, InjectConfig, type BatonConfig } from '@baton/platform';
import { NodeQueue } from './node-queue.js';

/** The channel the tree trigger (migration 1733300000000) announces a parent's newly queued nodes on. */
export const NODES_READY_CHANNEL = 'baton_nodes_ready';

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
      const { runId, nodes } = JSON.parse(payload ?? '') as { runId: string; nodes: string[] };
      await this.queue.enqueueAfterCommit(nodes.map((nodeId) => ({ runId, nodeId, attempt: 1 })));
    } catch (err) {
      this.logger.warn({ err }, 'unreadable ready-nodes notification; the sweeper will enqueue its nodes');
    }
  }
}
