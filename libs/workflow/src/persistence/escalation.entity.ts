import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'escalations' })
export class EscalationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId: string;

  @Column({ name: 'node_id', type: 'text' })
  nodeId: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text', nullable: true })
  detail: string | null;

  @Column({ type: 'text', nullable: true })
  prompt: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  @Column({ name: 'resolved_by', type: 'text', nullable: true })
  resolvedBy: string | null;

  @Column({ name: 'resolved_by_issuer', type: 'text', nullable: true })
  resolvedByIssuer: string | null;

  @Column({ type: 'text', nullable: true })
  action: string | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;
}
