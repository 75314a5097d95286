import { MigrationInterface, QueryRunner } from 'typeorm';
import { STATEMENT } from './1795742000000-EventsTriggerReplanned';
import { EMPLOYEE, GROUP } from './1795742400000-EventsTriggerCachedReads';

/** A function call of the trigger's statement, and the read that takes its place. */
const INLINED: [call: string, read: string][] = [
  ['rollcall_event_employee(x.tenant_id, x.target_id)', `(${EMPLOYEE} WHERE e.tenant_id = x.tenant_id AND e.id = x.target_id)`],
  ['rollcall_event_group(x.tenant_id, x.target_id)', `(${GROUP} WHERE gr.tenant_id = x.tenant_id AND gr.id = x.target_id)`],
];

/** The trigger's statement as this migration writes it (migration EventsTriggerEmployeeStatement keeps it for groups). */
export function inlined(statement: string): string {
  return INLINED.reduce((text, [call, read]) => {
    if (!text.includes(call)) throw new Error(`migration EventsTriggerInlineReads: the trigger's statement no longer calls ${call}`);
    return text.replace(call, read);
  }, statement);
}

/** The trigger function running `statement` (plpgsql: a statement, or statements ending without their last `;`). */
export function trigger(statement: string): string {
  return `
    CREATE OR REPLACE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      -- Each event also gets its narrow row in event_pending, which the sequencer numbers (and deletes) after commit.
      ${statement};
      RETURN NULL;
    END
    $fn$`;
}

/**
 * The change feed's trigger reads the changed employee or group in its own statement, by key, instead of calling a
 * function per event (issue 16).
 *
 * Migrations EventsTriggerReplanned and EventsTriggerCachedReads put those reads in functions so that no plan made
 * while the tables were nearly empty would be kept for a connection's life: there every index led by `tenant_id`
 * costs the same, and PostgreSQL keeps the newest. A function call per event cost most of the trigger: in a `perf`
 * profile of the onboarding bench's creates and PUTs, 35-45 % of the trigger's samples were in the functions (their
 * executor start per call, the size check, and below 1 MB the planning of the SQL function at every call), and the
 * trigger itself was a third of PostgreSQL's time per create (docs/benchmarks.md, "Session 22").
 *
 * The app's connections now drop their plans whenever a table passes 32 or 128 pages (src/db/plan-epochs.ts;
 * `DISCARD PLANS` drops the plans of plpgsql functions too), so a plan made on a nearly empty table is made again
 * once the table has grown, and the statement can read by key itself: its plan is kept per connection, and the reads
 * are correlated subqueries of it, started once per trigger call. The events are the same, field for field.
 * The functions stay (the down migration uses them again).
 */
export class EventsTriggerInlineReads1795742500000 implements MigrationInterface {
  name = 'EventsTriggerInlineReads1795742500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(trigger(inlined(STATEMENT)));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(trigger(STATEMENT));
  }
}
