import { MigrationInterface, QueryRunner } from 'typeorm';

/** The changed employee as its events carry it (the same, field for field, as migration EventsTriggerReplanned). */
export const EMPLOYEE = `
  SELECT jsonb_build_object(
      'id', e.id, 'username', e.username, 'externalId', e.external_id,
      'firstName', e.first_name, 'middleName', e.middle_name, 'lastName', e.last_name,
      'displayName', e.display_name, 'formattedName', e.formatted_name, 'email', e.email,
      'mobileNumber', e.mobile_number, 'timeZone', e.time_zone, 'type', e.type,
      'status', e.status, 'managedBy', e.managed_by,
      'primaryRole', (SELECT jsonb_build_object('id', r.id, 'name', r.name) FROM roles r WHERE r.tenant_id = e.tenant_id AND r.id = e.primary_role_id),
      'team', (SELECT jsonb_build_object('id', m.id, 'name', m.name) FROM teams m WHERE m.tenant_id = e.tenant_id AND m.id = e.team_id),
      'loginAuthenticator', (SELECT jsonb_build_object('id', l.id, 'name', l.name) FROM login_authenticators l
                              WHERE l.tenant_id = e.tenant_id AND l.id = e.login_authenticator_id),
      'version', e.version, 'createdAt', e.created_at, 'updatedAt', e.updated_at,
      'deactivatedAt', e.deactivated_at, 'deletedAt', e.deleted_at)
    FROM employees e`;

/** The changed group as its events carry it. */
export const GROUP = `
  SELECT jsonb_build_object('id', gr.id, 'displayName', gr.display_name, 'externalId', gr.external_id,
                            'version', gr.version, 'createdAt', gr.created_at, 'updatedAt', gr.updated_at)
    FROM groups gr`;

/**
 * Below this size (1 MB, about 2,700 employees as Okta creates them, 10,000 groups) a read is planned at each call;
 * from it on, its plan is kept per connection. Without statistics PostgreSQL estimates `tenant_id = $1` from the pages
 * a table has: on a small table every index led by `tenant_id` costs what the primary key costs, and the newest index
 * wins. In test/query-plans.test.ts, which makes the kept plans just past this size and checks them once the tables
 * have grown, a plan made at 24 pages (192 kB) still read through another index with the tenant alone, and one made
 * at 32 pages read by the primary key: 1 MB leaves a margin of four.
 */
const CACHED_FROM_BYTES = 1024 * 1024;

/**
 * A plpgsql reader of one row by `(tenant_id, id)`: while `table` is small, through `planned` (the SQL function,
 * planned at each call of the calling statement, cheaper than an EXECUTE, which parses too); then through its own
 * static statement, whose plan the connection keeps.
 */
function reader(name: string, planned: string, table: string, select: string, alias: string): string {
  return `
    CREATE OR REPLACE FUNCTION "${name}"(p_tenant uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      IF pg_relation_size('${table}') < ${CACHED_FROM_BYTES} THEN
        RETURN "${planned}"(p_tenant, p_id);
      END IF;
      RETURN (${select} WHERE ${alias}.tenant_id = p_tenant AND ${alias}.id = p_id);
    END
    $fn$`;
}

/** The SQL function (planned at each call) reading one row, as migration EventsTriggerReplanned made it. */
function sqlReader(name: string, select: string, alias: string): string {
  return `
    CREATE OR REPLACE FUNCTION "${name}"(p_tenant uuid, p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
      ${select} WHERE ${alias}.tenant_id = p_tenant AND ${alias}.id = p_id
    $fn$`;
}

/**
 * The change feed's reads of the changed employee and group keep a plan per connection once their table has grown
 * (issue 16).
 *
 * Migration EventsTriggerReplanned made them SQL functions, which PostgreSQL plans at each call of the trigger's
 * statement, once per event: 0.06-0.17 ms of planning per event in the onboarding bench (pg_stat_statements), more
 * than the read itself, in every audited write (creates, PUTs, PATCHes, GraphQL updates). A plpgsql function's static
 * statement is planned once per connection and the plan is kept, which is what went wrong in session 20: a plan made
 * while the table held a row or two gave every index led by `tenant_id` the same cost, PostgreSQL kept the first it
 * considered (the newest index), and the kept plan read each employee through `uq_employees_tenant_username_key` with
 * the tenant as its only condition, however large the tenant grew (docs/benchmarks.md).
 *
 * So the static statement runs only once the table is past CACHED_FROM_BYTES, where its first plan is the primary key's
 * whatever the statistics; below that the read goes through the SQL function as before, planned at each call.
 * test/query-plans.test.ts checks the plans of a connection whose first writes found the tables nearly empty.
 */
export class EventsTriggerCachedReads1795742400000 implements MigrationInterface {
  name = 'EventsTriggerCachedReads1795742400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(sqlReader('rollcall_event_employee_planned', EMPLOYEE, 'e'));
    await queryRunner.query(sqlReader('rollcall_event_group_planned', GROUP, 'gr'));
    await queryRunner.query(reader('rollcall_event_employee', 'rollcall_event_employee_planned', 'employees', EMPLOYEE, 'e'));
    await queryRunner.query(reader('rollcall_event_group', 'rollcall_event_group_planned', 'groups', GROUP, 'gr'));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(sqlReader('rollcall_event_employee', EMPLOYEE, 'e'));
    await queryRunner.query(sqlReader('rollcall_event_group', GROUP, 'gr'));
    await queryRunner.query(`DROP FUNCTION "rollcall_event_employee_planned"(uuid, uuid)`);
    await queryRunner.query(`DROP FUNCTION "rollcall_event_group_planned"(uuid, uuid)`);
  }
}
