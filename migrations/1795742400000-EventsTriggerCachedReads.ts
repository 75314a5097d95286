import { MigrationInterface, QueryRunner } from 'typeorm';

/** The changed employee as its events carry it (the same, field for field, as migration EventsTriggerReplanned). */
const EMPLOYEE = `
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
const GROUP = `
  SELECT jsonb_build_object('id', gr.id, 'displayName', gr.display_name, 'externalId', gr.external_id,
                            'version', gr.version, 'createdAt', gr.created_at, 'updatedAt', gr.updated_at)
    FROM groups gr`;

/**
 * Below this size (1 MB, about 2,800 employees) a table's plans are made at each call; from it on, once per connection.
 * Without statistics PostgreSQL estimates `tenant_id = $1` at half a percent of the table's rows: on a table of a
 * few pages that is a row, and every index led by `tenant_id` costs what the primary key costs; from about 1,000 rows
 * on, the primary key, which holds the key too, is the cheapest, and stays so as the table grows.
 */
const CACHED_FROM_BYTES = 1024 * 1024;

/** A plpgsql reader of one row by `(tenant_id, id)`: planned at each call while `table` is small, else cached. */
function reader(name: string, table: string, select: string, alias: string): string {
  const keyed = (tenant: string, id: string) => `${select} WHERE ${alias}.tenant_id = ${tenant} AND ${alias}.id = ${id}`;
  return `
    CREATE OR REPLACE FUNCTION "${name}"(p_tenant uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      resource jsonb;
    BEGIN
      IF pg_relation_size('${table}') < ${CACHED_FROM_BYTES} THEN
        EXECUTE $q$ ${keyed('$1', '$2')} $q$ INTO resource USING p_tenant, p_id;
        RETURN resource;
      END IF;
      RETURN (${keyed('p_tenant', 'p_id')});
    END
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
 * whatever the statistics; below that the same statement runs through EXECUTE, planned at each call as before.
 * test/query-plans.test.ts checks the plans of a connection whose first writes found the tables nearly empty.
 */
export class EventsTriggerCachedReads1795742400000 implements MigrationInterface {
  name = 'EventsTriggerCachedReads1795742400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(reader('rollcall_event_employee', 'employees', EMPLOYEE, 'e'));
    await queryRunner.query(reader('rollcall_event_group', 'groups', GROUP, 'gr'));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name, select, alias] of [
      ['rollcall_event_employee', EMPLOYEE, 'e'],
      ['rollcall_event_group', GROUP, 'gr'],
    ]) {
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION "${name}"(p_tenant uuid, p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
          ${select} WHERE ${alias}.tenant_id = p_tenant AND ${alias}.id = p_id
        $fn$`);
    }
  }
}
