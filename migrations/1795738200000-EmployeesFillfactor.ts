import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each page of `employees` for updated rows (issue 16). Most SCIM writes change no indexed column: a
 * deactivation sets status and deactivated_at, Okta's profile push mostly sets the same names again. PostgreSQL can then
 * write the new row version on the same page without touching any index (a HOT update), but only if the page has room:
 * at the default fillfactor of 100 the pages that an import fills have none, so every update inserted an entry into
 * every index of the table, the trigram index's many among them. Applies to pages written from now on; existing pages
 * gain room as rows are updated and vacuumed.
 */
export class EmployeesFillfactor1795738200000 implements MigrationInterface {
  name = 'EmployeesFillfactor1795738200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "employees" SET (fillfactor = 80)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "employees" RESET (fillfactor)`);
  }
}
