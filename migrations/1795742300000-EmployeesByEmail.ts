import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's live employees by work email (issue 16).
 *
 * Microsoft Entra ID can match its users to ours on the work email instead of userName (the provisioning app's
 * "matching attribute"): every create and every sync cycle then asks `GET /Users?filter=emails[type eq "work"].value
 * eq "..."`. Without this index that lookup walked the whole tenant through `ix_employees_tenant_created` and filtered
 * each row (test/query-plans.test.ts caught it), so its cost grew with the tenant. `email` is citext, as the filter
 * compares it, so the btree serves the case-insensitive equality. Partial on live rows, so that a count of the
 * tenant's live employees may read it as it reads the other partial indexes (index-only); statements for one live
 * employee read it by its key without `deleted_at IS NULL` (sql.byKeys, WRITE_READ), or this index, the newest led by
 * `tenant_id`, would win their tie for a tenant without statistics, as ix_employees_tenant_name did.
 */
export class EmployeesByEmail1795742300000 implements MigrationInterface {
  name = 'EmployeesByEmail1795742300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_employees_tenant_email" ON "employees" ("tenant_id", "email") WHERE deleted_at IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_employees_tenant_email"`);
  }
}
