import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per workflow name; `latestVersion` is bumped atomically when a new version is posted. */
@Entity({ name: 'workflows' })
export class WorkflowEntity {
  /** SPEC §12.1: the tenant whose resource this is. */
  @PrimaryColumn({ type: 'text' })
  tenant: string;

  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ name: 'latest_version', type: 'integer' })
  latestVersion: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
