import { MigrationInterface, QueryRunner } from 'typeorm';
import { logger } from '../src/logging';
import { usernameKey } from '../src/services/username-key';

/** Rows read and keyed per round trip: bounded memory on a million employees. */
const CHUNK = 5000;
/** Marks a key that collided (see the entity): no computed key holds a control character. */
const COLLISION_MARK = '\u0001';

/**
 * Usernames are compared by a canonical key computed in Rollcall (src/services/username-key.ts, issue 17) instead of
 * citext, whose comparison follows the database's locale (`'ADMİN'::citext = 'admin'::citext`). Every live row gets
 * its key (a deleted one none: its username is free); the unique index moves from the username to the key.
 *
 * Two live employees of a tenant whose usernames have the same key (`ｊｏｓｅ@…` beside `jose@…`) are not a reason
 * to fail the upgrade: the older keeps the key, each newer one gets `<key>` U+0001 `<id>` (so it stays unique and
 * is found by nothing but its id) and is reported, in the migration's output and as an `employee.username_collision`
 * row in its tenant's audit log naming the employee it collides with. Renaming it (in the IdP) gives it a real key.
 */
export class UsernameKey1795737500000 implements MigrationInterface {
  name = 'UsernameKey1795737500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "employees" ADD "username_key" text`);
    let after: [string, string] | undefined;
    for (;;) {
      const rows: { tenant_id: string; id: string; username: string; live: boolean }[] = await queryRunner.query(
        `SELECT tenant_id, id, username::text AS username, deleted_at IS NULL AS live FROM employees
          ${after ? 'WHERE (tenant_id, id) > ($1::uuid, $2::uuid)' : ''} ORDER BY tenant_id, id LIMIT ${CHUNK}`,
        after ?? [],
      );
      if (rows.length === 0) break;
      await queryRunner.query(
        `UPDATE employees e SET username_key = k.key
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, id, key)
          WHERE e.tenant_id = k.tenant_id AND e.id = k.id`,
        // A deleted employee holds no key: its username is free.
        [rows.map((r) => r.tenant_id), rows.map((r) => r.id), rows.map((r) => (r.live ? usernameKey(r.username) : null))],
      );
      const last = rows[rows.length - 1];
      after = [last.tenant_id, last.id];
    }
    await reportCollisions(queryRunner);
    await queryRunner.query(`DROP INDEX "public"."uq_employees_tenant_username"`);
    // Not partial: deleted employees hold no key (NULL), so a lookup by key needs no deleted_at condition.
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_employees_tenant_username_key" ON "employees" ("tenant_id", "username_key") `);
    // GraphQL search finds usernames by their key too: the document (SEARCH_DOCUMENT) holds the key, not the username.
    await queryRunner.query(`DROP INDEX "public"."ix_employees_search_trgm"`);
    await queryRunner.query(searchIndex('username_key'));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_employees_search_trgm"`);
    await queryRunner.query(searchIndex('username::text'));
    await queryRunner.query(`DROP INDEX "public"."uq_employees_tenant_username_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_employees_tenant_username" ON "employees" ("tenant_id", "username") WHERE deleted_at IS NULL`);
    await queryRunner.query(`ALTER TABLE "employees" DROP COLUMN "username_key"`);
  }
}

/** The trigram index of SEARCH_DOCUMENT (src/services/employee/types.ts) with `username` as the username's part. */
function searchIndex(username: string): string {
  return (
    `CREATE INDEX "ix_employees_search_trgm" ON "employees" USING gin ((first_name || ' ' || last_name || ' ' || ` +
    `${username} || ' ' || email::text || ' ' || coalesce(display_name, '') || ' ' || coalesce(middle_name, '')) gin_trgm_ops) ` +
    // As migration SearchIndexPendingList set it.
    `WITH (gin_pending_list_limit = 256)`
  );
}

/** Marks and reports every live employee whose key an older live employee of its tenant already has. */
async function reportCollisions(queryRunner: QueryRunner): Promise<void> {
  const collisions: { tenant_id: string; id: string; username: string; kept_id: string; kept_username: string }[] = await queryRunner.query(
    `WITH ranked AS (
       SELECT tenant_id, id, username::text AS username, username_key,
              first_value(id) OVER w AS kept_id, first_value(username::text) OVER w AS kept_username, row_number() OVER w AS n
         FROM employees WHERE deleted_at IS NULL
       WINDOW w AS (PARTITION BY tenant_id, username_key ORDER BY created_at, id))
     SELECT tenant_id, id, username, kept_id, kept_username FROM ranked WHERE n > 1 ORDER BY tenant_id, username`,
  );
  if (collisions.length === 0) return;
  await queryRunner.query(
    `UPDATE employees e SET username_key = e.username_key || '${COLLISION_MARK}' || e.id::text
      WHERE (e.tenant_id, e.id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))`,
    [collisions.map((c) => c.tenant_id), collisions.map((c) => c.id)],
  );
  await queryRunner.query(
    `INSERT INTO audit_events (tenant_id, actor_surface, action, target_type, target_id, changes)
     SELECT c.tenant_id, 'system', 'employee.username_collision', 'employee', c.id,
            jsonb_build_object('username', jsonb_build_object('from', c.username, 'to', c.username),
                               'sameUsernameAs', jsonb_build_object('from', NULL, 'to', c.kept_id))
       FROM jsonb_to_recordset($1::jsonb) AS c(tenant_id uuid, id uuid, username text, kept_id uuid)`,
    [JSON.stringify(collisions)],
  );
  for (const c of collisions) {
    // Whoever upgrades reads the log: say what happened and what to do, per employee.
    logger.warn(
      { tenantId: c.tenant_id, employeeId: c.id, username: c.username, sameUsernameAs: c.kept_id, keptUsername: c.kept_username },
      'username collision: this employee has the same username as an older one once case and width are ignored; ' +
        'it keeps working by id but is not found by userName until it is renamed in the identity provider',
    );
  }
}
