import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Substring search over employees (GraphQL `employees(search:)`) with a trigram GIN index, so `ILIKE '%term%'` stays
 * fast at 100,000+ employees. The expression must equal SEARCH_DOCUMENT in src/services/employee.service.ts.
 * Hand-written: TypeORM cannot express expression or GIN indexes (the entity marks it `synchronize: false`).
 */
export class EmployeeSearchIndex1795734000000 implements MigrationInterface {
  name = 'EmployeeSearchIndex1795734000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_employees_search_trgm" ON "employees" USING gin ((first_name || ' ' || last_name || ' ' || ` +
        `username::text || ' ' || email::text || ' ' || coalesce(display_name, '') || ' ' || coalesce(middle_name, '')) gin_trgm_ops)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_employees_search_trgm"`);
  }
}
