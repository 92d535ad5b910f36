import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §16 "identities are pairs": who resolved an escalation is `(resolved_by_issuer,
 * resolved_by)`, so two trusted issuers with the same `sub` cannot be confused. Null for
 * escalations closed by Baton itself (expiry, cancellation) and for rows resolved before.
 */
export class EscalationResolverIssuer1732600000000 implements MigrationInterface {
  name = 'EscalationResolverIssuer1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE escalations ADD COLUMN resolved_by_issuer text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE escalations DROP COLUMN resolved_by_issuer`);
  }
}
