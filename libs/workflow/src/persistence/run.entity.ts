import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'runs' })
export class RunEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** SPEC §12.1: the tenant whose resource this is. */
  @Column({ type: 'text' })
  tenant: string;

  @Column({ name: 'workflow_name', type: 'text' })
  workflowName: string;

  @Column({ name: 'workflow_version', type: 'integer' })
  workflowVersion: number;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId: string | null;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'jsonb' })
  input: Record<string, unknown>;

  @Column({ name: 'user_iss', type: 'text' })
  userIss: string;

  @Column({ name: 'user_sub', type: 'text' })
  userSub: string;

  @Column({ name: 'user_scopes', type: 'text', array: true })
  userScopes: string[];

  /** AES-256-GCM sealed subject token; never selected unless a worker needs it. */
  @Column({ name: 'subject_token_ciphertext', type: 'bytea', nullable: true, select: false })
  subjectTokenCiphertext: Buffer | null;

  @Column({ name: 'subject_token_key_id', type: 'text', nullable: true, select: false })
  subjectTokenKeyId: string | null;

  @Column({ name: 'subject_token_expires_at', type: 'timestamptz', nullable: true })
  subjectTokenExpiresAt: Date | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string; nodeId?: string } | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** SPEC §11: the run whose `workflow` node started this one (null at the root). */
  @Column({ name: 'parent_run_id', type: 'uuid', nullable: true })
  parentRunId: string | null;

  @Column({ name: 'parent_node_id', type: 'text', nullable: true })
  parentNodeId: string | null;

  @Column({ name: 'root_run_id', type: 'uuid' })
  rootRunId: string;

  @Column({ type: 'integer' })
  depth: number;
}
