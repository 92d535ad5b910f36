import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An immutable version of a workflow definition (a trigger refuses UPDATE and DELETE). */
@Entity({ name: 'workflow_versions' })
export class WorkflowVersionEntity {
  /** SPEC §12.1: the tenant whose resource this is. */
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'text' })
  name: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId: string | null;

  /** The definition as posted (validated), without `version`. */
  @Column({ type: 'jsonb' })
  definition: Record<string, unknown>;

  @Column({ name: 'created_by_iss', type: 'text' })
  createdByIss: string;

  @Column({ name: 'created_by_sub', type: 'text' })
  createdBySub: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
