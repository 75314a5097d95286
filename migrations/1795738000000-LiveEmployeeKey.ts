import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The primary key of live employees, `(tenant_id, id) WHERE deleted_at IS NULL`. Every read and write of one employee
 * asks for a live one. For a tenant without statistics PostgreSQL estimates `tenant_id = $1` as a handful of rows, so
 * any partial index on the tenant's live rows (username key, creation order) looked as cheap as the primary key, which
 * needs a deleted_at filter, and it read the whole tenant from one of them (issue 16, test/query-plans.test.ts). With
 * this index, the one with the key is strictly the cheapest.
 */
export class LiveEmployeeKey1795738000000 implements MigrationInterface {
  name = 'LiveEmployeeKey1795738000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_employees_tenant_id_live" ON "employees" ("tenant_id", "id") WHERE deleted_at IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_employees_tenant_id_live"`);
  }
}
