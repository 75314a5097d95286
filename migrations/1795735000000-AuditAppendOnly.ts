import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is append-only in the database itself, not only by convention in the services: any UPDATE, DELETE
 * or TRUNCATE of `audit_events` raises, whoever sends it (a service bug, a script, a compromised application). There
 * is no legitimate path that changes or removes an audit row: tenants cannot be deleted while they have audit rows
 * (the foreign key is ON DELETE RESTRICT), and retention purges only `provisioning_events`, which are a log of SCIM
 * traffic, not the audit trail. An operator who must erase audit rows (a legal order) does it deliberately as the
 * table owner with `ALTER TABLE audit_events DISABLE TRIGGER ...` in a maintenance session.
 * Hand-written: TypeORM does not model triggers, so this does not show up as drift.
 */
export class AuditAppendOnly1795735000000 implements MigrationInterface {
  name = 'AuditAppendOnly1795735000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_audit_events_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_events" ` +
        `FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "tr_audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events" ` +
        `FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_audit_events_no_truncate" ON "audit_events"`);
    await queryRunner.query(`DROP TRIGGER "tr_audit_events_no_update_delete" ON "audit_events"`);
    await queryRunner.query(`DROP FUNCTION "audit_events_append_only"()`);
  }
}
