import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A page of a tenant's live employees in username order, walking uq_employees_tenant_username_key (issue 16).
 *
 * The admin console's default list (GraphQL `employees` with no search and no filter, ordered by username) asked for
 * `tenant_id = $1 … ORDER BY username_key, id LIMIT n`. On a tenant whose rows were never analyzed PostgreSQL believes
 * the tenant holds a row or two, so reading all of it through a bitmap scan and keeping the top rows looks cheaper
 * than walking the index in order: 3 ms for a page at 3,000 people, 15 ms at 5,000 (cold), growing with the tenant,
 * for every page (a keyset's range condition leaves the whole rest of the tenant to read). A literal LIMIT, a range
 * on the key, a row condition: none changed that plan (docs/benchmarks.md).
 *
 * Here the page is planned with sorts and bitmap scans disabled (the function's SET clause), so that walking the
 * index, which yields the order and stops at the page's end, is the one plan left, whatever the statistics say; an
 * Incremental Sort orders ties of `username_key` by id (there are none: the key is unique in a tenant). plpgsql keeps
 * the four plans (first page or after a keyset, each direction) for the connection's life; they cannot go stale, as
 * the plan does not depend on the tables' sizes. Deleted employees are in the index and filtered out on the walk.
 */
export class EmployeesByUsername1795742200000 implements MigrationInterface {
  name = 'EmployeesByUsername1795742200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const page = (keyset: string, direction: 'ASC' | 'DESC') => `
          RETURN QUERY SELECT * FROM employees e
           WHERE e.tenant_id = p_tenant AND e.deleted_at IS NULL${keyset}
           ORDER BY e.username_key ${direction}, e.id ${direction} LIMIT p_limit;`;
    await queryRunner.query(`
      CREATE FUNCTION "rollcall_employees_by_username"(p_tenant uuid, p_descending boolean, p_after_key text, p_after_id uuid, p_limit int)
      RETURNS SETOF employees LANGUAGE plpgsql STABLE
      SET enable_sort = off SET enable_bitmapscan = off
      AS $fn$
      BEGIN
        IF p_after_key IS NULL THEN
          IF p_descending THEN ${page('', 'DESC')}
          ELSE ${page('', 'ASC')}
          END IF;
        ELSIF p_descending THEN ${page(' AND (e.username_key, e.id) < (p_after_key, p_after_id)', 'DESC')}
        ELSE ${page(' AND (e.username_key, e.id) > (p_after_key, p_after_id)', 'ASC')}
        END IF;
      END
      $fn$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "rollcall_employees_by_username"(uuid, boolean, text, uuid, int)`);
  }
}
