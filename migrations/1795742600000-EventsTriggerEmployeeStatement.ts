import { MigrationInterface, QueryRunner } from 'typeorm';
import { EVENT_KIND, STATEMENT } from './1795742000000-EventsTriggerReplanned';
import { EMPLOYEE } from './1795742400000-EventsTriggerCachedReads';
import { inlined, trigger } from './1795742500000-EventsTriggerInlineReads';

/**
 * The events of a statement that audited only employees: the same rows as the general statement gives them, without
 * its group parts. The kind is the general statement's mapping (EVENT_KIND); the employee is read by key as there.
 * `OFFSET 0` keeps the employee's read from being flattened into the outer query, where it is named twice and would
 * run twice.
 * Events are numbered in the order they are inserted, which is the order of `added` here (a scan, no join, no sort),
 * as `ORDER BY x.n` gives it in the general statement.
 */
const EMPLOYEES_ONLY = `
      WITH written AS (
      INSERT INTO events (tenant_id, type, occurred_at, actor_surface, actor_token_id, actor_token_name, resource_type,
                          resource_id, data, audit_event_id, request_id)
      SELECT x.tenant_id, x.kind, x.occurred_at, x.actor_surface, x.actor_token_id,
             COALESCE((SELECT t.name FROM access_tokens t WHERE t.tenant_id = x.tenant_id AND t.id = x.actor_token_id),
                      (SELECT oc.name FROM oauth_clients oc WHERE oc.tenant_id = x.tenant_id AND oc.id = x.actor_token_id)),
             x.target_type, x.target_id,
             CASE WHEN x.kind IN ('employee.updated', 'employee.deactivated', 'employee.reactivated')
                  THEN jsonb_build_object('employee', x.resource, 'changes', x.changes)
                  ELSE jsonb_build_object('employee', x.resource)
             END,
             x.id, x.request_id
        FROM (
          SELECT a.*, k.kind, (${EMPLOYEE} WHERE e.tenant_id = a.tenant_id AND e.id = a.target_id) AS resource
            FROM added a
           CROSS JOIN LATERAL (SELECT ${EVENT_KIND} AS kind) k
           WHERE k.kind IS NOT NULL AND a.target_id IS NOT NULL
          OFFSET 0
        ) x
      RETURNING tenant_id, position)
      INSERT INTO event_pending (tenant_id, position) SELECT tenant_id, position FROM written`;

/**
 * The change feed's trigger takes a statement of its own for audit rows that are all about employees (issue 16).
 *
 * Nearly every audited write is one: a SCIM create, PUT or PATCH, alone or in a batch, a GraphQL employee update. The
 * general statement also serves groups: member ids in chunks of 1,000 (an aggregate per event), a window to keep the
 * events in order across chunks, a sort, and three lateral joins. Starting its executor at every trigger call was a
 * quarter of the trigger's time in a `perf` profile of the onboarding bench's creates, and the trigger was a quarter
 * of PostgreSQL's time per create (docs/benchmarks.md, "Session 23"). The employee statement is a scan of the
 * transition table with the employee read by key. The events are the same, field for field: test/events.test.ts and
 * test/query-plans.test.ts cover both statements.
 */
export class EventsTriggerEmployeeStatement1795742600000 implements MigrationInterface {
  name = 'EventsTriggerEmployeeStatement1795742600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      trigger(`IF EXISTS (SELECT 1 FROM added a WHERE a.target_type IS DISTINCT FROM 'employee') THEN
        ${inlined(STATEMENT)};
      ELSE
        ${EMPLOYEES_ONLY};
      END IF`),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(trigger(inlined(STATEMENT)));
  }
}
