import { MigrationInterface, QueryRunner } from 'typeorm';
import { EVENTS_FROM_AUDIT } from './1795740000000-OAuth';

/**
 * The change feed's trigger reads the changed rows through functions planned at each trigger call (issue 16).
 *
 * As one static SQL statement in plpgsql, the trigger's statement was planned once per database connection, at the
 * connection's first audited write, and the plan was kept for the connection's life. On a new tenant that first
 * write finds `employees` nearly empty, where any index led by `tenant_id` costs what the primary key costs, and the
 * cached plan read each changed employee through `uq_employees_tenant_username_key`, filtering the whole tenant for it
 * (`Index Cond: (tenant_id = x.tenant_id)`, `Filter: (id = x.target_id)`: 1,087 rows removed per event at 1,000
 * people, about 0.6 ms an event and growing with the tenant). That was most of PostgreSQL's time per SCIM create and
 * PUT in the onboarding bench (docs/benchmarks.md, "Session 19"). Planning the whole statement at every call instead
 * (EXECUTE) cost 1.35 ms of planning per call, more than it saved.
 *
 * So the statement keeps its cached plan, and its reads of the tables that grow with a tenant's import are SQL
 * functions (`rollcall_event_employee`, `rollcall_event_group`): PostgreSQL does not inline a SQL function whose body
 * has a FROM clause, and plans its body once per execution of the calling statement, with the tables' current sizes,
 * so the employee and the group are read by their primary key however small the tables were when the connection
 * started (test/query-plans.test.ts checks it). That planning costs about 0.1 ms per trigger call; the actor's name
 * (access tokens, OAuth clients: few per tenant, growing with tenants rather than with an import) stays in the cached
 * plan. The events are the same as before, field for field.
 */
/** The same statement, its reads of tables moved into the functions. */
/** An audit row's (`a`) event type, NULL for an action that makes no event (the change feed's one mapping). */
export const EVENT_KIND = `CASE
               WHEN a.action IN ('employee.updated', 'employee.claimed') THEN
                 CASE WHEN a.changes ? 'status' AND a.changes->'status'->>'to' = 'INACTIVE' THEN 'employee.deactivated'
                      WHEN a.changes ? 'status' AND a.changes->'status'->>'to' = 'ACTIVE' THEN 'employee.reactivated'
                      ELSE 'employee.updated' END
               WHEN a.action IN ('employee.created', 'employee.deleted', 'group.created', 'group.updated', 'group.deleted',
                                 'group.members_added', 'group.members_removed') THEN a.action
             END`;

export const STATEMENT = `
      WITH written AS (
      INSERT INTO events (tenant_id, type, occurred_at, actor_surface, actor_token_id, actor_token_name, resource_type,
                          resource_id, data, audit_event_id, request_id)
      SELECT x.tenant_id, x.kind, x.occurred_at, x.actor_surface, x.actor_token_id,
             -- The actor's name read here, by key, in the cached plan: tokens and clients are few per tenant and their
             -- tables grow with tenants, not with a tenant's import; a function would be planned at every call
             -- (0.15 ms). An OAuth access token acts as its client (src/http/auth.ts): the client's name is the actor's.
             COALESCE((SELECT t.name FROM access_tokens t WHERE t.tenant_id = x.tenant_id AND t.id = x.actor_token_id),
                      (SELECT oc.name FROM oauth_clients oc WHERE oc.tenant_id = x.tenant_id AND oc.id = x.actor_token_id)),
             x.target_type, x.target_id,
             CASE
               WHEN x.kind IN ('group.members_added', 'group.members_removed')
                 THEN jsonb_build_object('group', g.resource, 'memberIds', c.member_ids,
                                         'chunk', jsonb_build_object('index', c.n + 1, 'count', c.chunks))
               WHEN x.kind IN ('employee.updated', 'employee.deactivated', 'employee.reactivated')
                 THEN jsonb_build_object('employee', e.resource, 'changes', x.changes)
               WHEN x.kind = 'group.updated' THEN jsonb_build_object('group', g.resource, 'changes', x.changes)
               WHEN x.target_type = 'employee' THEN jsonb_build_object('employee', e.resource)
               ELSE jsonb_build_object('group', g.resource)
             END,
             x.id, x.request_id
        FROM (
          SELECT a.*, k.kind, row_number() OVER () AS n
            FROM added a
           CROSS JOIN LATERAL (SELECT ${EVENT_KIND} AS kind) k
           WHERE k.kind IS NOT NULL AND a.target_id IS NOT NULL
        ) x
        -- The employee or group as the statement left it (an AFTER trigger sees every change of its statement, the
        -- writable CTEs' included), read by the functions below; a deleted group as the audit row describes it.
        CROSS JOIN LATERAL (
          SELECT CASE WHEN x.target_type = 'employee' THEN rollcall_event_employee(x.tenant_id, x.target_id) END AS resource
        ) e
        -- The CASE, not only the WHERE, keeps the function to group events: PostgreSQL flattens this subquery and
        -- computed its output for every row.
        LEFT JOIN LATERAL (
          SELECT CASE WHEN x.target_type <> 'group' THEN NULL
                      WHEN x.kind = 'group.deleted'
                   THEN jsonb_build_object('id', x.target_id, 'displayName', x.changes->'displayName'->'from',
                                           'externalId', x.changes->'externalId'->'from')
                   ELSE rollcall_event_group(x.tenant_id, x.target_id)
                 END AS resource
           WHERE x.target_type = 'group'
        ) g ON true
        -- Member ids in chunks of 1,000, in one pass over the array; no event for an empty change.
        LEFT JOIN LATERAL (
          SELECT ch.n, ch.member_ids, count(*) OVER () AS chunks
            FROM (SELECT (o - 1) / 1000 AS n, jsonb_agg(v ORDER BY o) AS member_ids
                    FROM jsonb_array_elements(CASE x.kind WHEN 'group.members_added' THEN x.changes->'memberIds'->'to'
                                                         ELSE x.changes->'memberIds'->'from' END) WITH ORDINALITY AS m(v, o)
                   GROUP BY 1) ch
           WHERE x.kind IN ('group.members_added', 'group.members_removed')
        ) c ON true
       WHERE x.kind NOT IN ('group.members_added', 'group.members_removed') OR c.n IS NOT NULL
       ORDER BY x.n, c.n
      RETURNING tenant_id, position)
      INSERT INTO event_pending (tenant_id, position) SELECT tenant_id, position FROM written`;

export class EventsTriggerReplanned1795742000000 implements MigrationInterface {
  name = 'EventsTriggerReplanned1795742000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "rollcall_event_employee"(p_tenant uuid, p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
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
          FROM employees e WHERE e.tenant_id = p_tenant AND e.id = p_id
      $fn$`);
    await queryRunner.query(`
      CREATE FUNCTION "rollcall_event_group"(p_tenant uuid, p_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $fn$
        SELECT jsonb_build_object('id', gr.id, 'displayName', gr.display_name, 'externalId', gr.external_id,
                                  'version', gr.version, 'createdAt', gr.created_at, 'updatedAt', gr.updated_at)
          FROM groups gr WHERE gr.tenant_id = p_tenant AND gr.id = p_id
      $fn$`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        -- Each event also gets its narrow row in event_pending, which the sequencer numbers (and deletes) after commit.
        ${STATEMENT};
        RETURN NULL;
      END
      $fn$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        -- Each event also gets its narrow row in event_pending, which the sequencer numbers (and deletes) after commit.
${EVENTS_FROM_AUDIT}
        RETURN NULL;
      END
      $fn$`);
    await queryRunner.query(`DROP FUNCTION "rollcall_event_group"(uuid, uuid)`);
    await queryRunner.query(`DROP FUNCTION "rollcall_event_employee"(uuid, uuid)`);
  }
}
