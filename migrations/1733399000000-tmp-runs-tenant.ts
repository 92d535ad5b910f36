import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TEMPORARY (branch tenant-fairness): `runs.tenant` until the tenants migration (1733400000000)
 * lands on main; dropped then. Child runs take their parent's tenant.
 */
export class TmpRunsTenant1733399000000 implements MigrationInterface {
  name = 'TmpRunsTenant1733399000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN tenant text NOT NULL DEFAULT 'default'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN tenant`);
  }
}
