import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'node_runs' })
export class NodeRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId: string;

  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId: string;

  @Column({ type: 'text' })
  type: string;

  /** The node's index in the definition, so lists keep the author's order. */
  @Column({ type: 'integer' })
  position: number;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ name: 'granted_scopes', type: 'text', array: true, nullable: true })
  grantedScopes: string[] | null;

  @Column({ type: 'jsonb', nullable: true })
  output: unknown;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string } | null;

  @Column({ name: 'queued_at', type: 'timestamptz', nullable: true })
  queuedAt: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
