import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An append-only audit row (SPEC §6). Written only through AuditWriter. */
@Entity({ name: 'audit_entries' })
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  /** SPEC §12.1: the tenant whose trail this entry is part of. */
  @Column({ type: 'text' })
  tenant: string;

  @Column({ type: 'text' })
  operation: string;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;

  @Column({ name: 'node_id', type: 'text', nullable: true })
  nodeId: string | null;

  @Column({ type: 'text', nullable: true })
  workflow: string | null;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId: string | null;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId: string | null;

  @Column({ type: 'text', nullable: true })
  issuer: string | null;

  @Column({ type: 'text', array: true, nullable: true })
  scopes: string[] | null;

  @Column({ type: 'text', nullable: true })
  target: string | null;

  @Column({ type: 'boolean' })
  success: boolean;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;

  @Column({ name: 'run_seq', type: 'integer', nullable: true })
  runSeq: number | null;

  @Column({ name: 'prev_hash', type: 'bytea', nullable: true })
  prevHash: Buffer | null;

  @Column({ type: 'bytea' })
  hash: Buffer;
}
