import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCIM lists without sortBy are in creation order (created_at, then id), so that an import walk running while people
 * are created finds them at its end instead of skipping some. These indexes give that order without sorting the
 * tenant: the first page reads its rows off the index, and a deep page continues by keyset from where the previous
 * one ended, which keeps a walk over a million employees linear.
 */
export class ListCreationOrder1795737000000 implements MigrationInterface {
  name = 'ListCreationOrder1795737000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_employees_tenant_created" ON "employees" ("tenant_id", "created_at", "id") WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "ix_groups_tenant_created" ON "groups" ("tenant_id", "created_at", "id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_groups_tenant_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_employees_tenant_created"`);
  }
}
