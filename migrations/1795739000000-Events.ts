import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The change feed (issue 18, docs/events.md): the `events` outbox, the per-tenant sequence counters, the tenant's
 * event retention, and the trigger that writes events.
 *
 * Events are derived from the audit rows every change already writes in its own transaction (and, for the batched
 * SCIM statements, in the same statement, as a CTE): an AFTER INSERT statement trigger on `audit_events` reads the
 * statement's new audit rows (a transition table), maps each action to an event type and renders the resource as it
 * is after the change, in one INSERT … SELECT. An AFTER trigger fires at the end of the statement and sees every change
 * the statement made, its other CTEs included (PostgreSQL manual, "Visibility of Data Changes"), so the employee row
 * read here is the one the statement wrote. A rolled-back change takes its audit
 * row and its event with it; a committed one has both.
 *
 * Events are inserted without a sequence number: numbers are assigned after commit by the sequencer
 * (eventService.sequence in src/services/event.service.ts), so that a transaction that commits late cannot take a
 * number below one a consumer has already read past. `events` rows are never updated: the trigger also inserts a
 * narrow `event_pending (tenant_id, position)` row per event, and the sequencer moves it to `event_numbers (tenant_id,
 * seq, position)`, which readers join to `events` by (tenant_id, position). Numbering by an UPDATE of `events.seq` (an
 * indexed column, so never a HOT update) wrote every ~1 KB event and all its index entries twice (docs/benchmarks.md).
 * The narrow tables have no foreign key to `tenants`: each would add a lookup and a key-share lock of the tenant row
 * per event; their rows exist only beside an `events` row, which has that key. The trigger sends no NOTIFY: a NOTIFY
 * makes every notifying transaction take one database-wide lock from its pre-commit to the end of its commit, which
 * serialised the commits of concurrent SCIM writes (measured: 4 clients of the batched UPDATE went from about
 * 1,400-1,800 to 330-520 transactions a second). Instances find unnumbered events by polling `event_pending` (empty when
 * idle) instead (src/services/event-feed.ts), and only the sequencer notifies, once per run.
 *
 * Membership changes carry the member ids; one audit row can name 50,000 of them, and is split into events of at most
 * 1,000 ids (EVENT_MEMBER_CHUNK in src/services/event.service.ts says the same), in one pass over the array.
 *
 * Audit actions without an event (token.*, tenant.*, the catalog's) are ignored. The function is hand-written:
 * TypeORM does not model triggers, so it does not show up as drift.
 */
export class Events1795739000000 implements MigrationInterface {
  name = 'Events1795739000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "events" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "position" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "type" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_surface" character varying(16) NOT NULL, "actor_token_id" uuid, "actor_token_name" text, "resource_type" text NOT NULL, "resource_id" uuid NOT NULL, "data" jsonb NOT NULL, "audit_event_id" uuid NOT NULL, "request_id" text, CONSTRAINT "ck_events_actor_surface" CHECK (actor_surface IN ('scim','graphql','cli','system')), CONSTRAINT "ck_events_type" CHECK (type IN ('employee.created','employee.updated','employee.deactivated','employee.reactivated','employee.deleted','group.created','group.updated','group.deleted','group.members_added','group.members_removed')), CONSTRAINT "PK_700597e26df59e1931a61cf8472" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_events_tenant_time" ON "events"  ("tenant_id", "occurred_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_events_tenant_position" ON "events"  ("tenant_id", "position") `);
    await queryRunner.query(`CREATE TABLE "event_pending" ("tenant_id" uuid NOT NULL, "position" bigint NOT NULL, CONSTRAINT "PK_event_pending" PRIMARY KEY ("tenant_id", "position"))`);
    await queryRunner.query(`CREATE TABLE "event_numbers" ("tenant_id" uuid NOT NULL, "seq" bigint NOT NULL, "position" bigint NOT NULL, CONSTRAINT "PK_event_numbers" PRIMARY KEY ("tenant_id", "seq"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_event_numbers_tenant_position" ON "event_numbers"  ("tenant_id", "position") `);
    await queryRunner.query(`CREATE TABLE "event_sequences" ("tenant_id" uuid NOT NULL, "last_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_0c96db5c637b90204bbe7539bf9" PRIMARY KEY ("tenant_id"))`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD "event_retention_days" integer NOT NULL DEFAULT '30'`);
    await queryRunner.query(`ALTER TABLE "events" ADD CONSTRAINT "FK_098a5d310151924de7369f1336a" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_sequences" ADD CONSTRAINT "FK_0c96db5c637b90204bbe7539bf9" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    // One statement per audited statement (a transition table), not a function call and three lookups per audit row:
    // the batched SCIM statements write up to 16 audit rows at once, and the row-level version of this trigger more
    // than doubled PostgreSQL's CPU per SCIM write (docs/benchmarks.md, issue 18).
    await queryRunner.query(`
      CREATE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Each event also gets its narrow row in event_pending, which the sequencer numbers (and deletes) after commit.
        WITH written AS (
        INSERT INTO events (tenant_id, type, occurred_at, actor_surface, actor_token_id, actor_token_name, resource_type,
                            resource_id, data, audit_event_id, request_id)
        SELECT x.tenant_id, x.kind, x.occurred_at, x.actor_surface, x.actor_token_id, t.name, x.target_type, x.target_id,
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
             CROSS JOIN LATERAL (SELECT CASE
                 WHEN a.action IN ('employee.updated', 'employee.claimed') THEN
                   CASE WHEN a.changes ? 'status' AND a.changes->'status'->>'to' = 'INACTIVE' THEN 'employee.deactivated'
                        WHEN a.changes ? 'status' AND a.changes->'status'->>'to' = 'ACTIVE' THEN 'employee.reactivated'
                        ELSE 'employee.updated' END
                 WHEN a.action IN ('employee.created', 'employee.deleted', 'group.created', 'group.updated', 'group.deleted',
                                   'group.members_added', 'group.members_removed') THEN a.action
               END AS kind) k
             WHERE k.kind IS NOT NULL AND a.target_id IS NOT NULL
          ) x
          LEFT JOIN access_tokens t ON t.tenant_id = x.tenant_id AND t.id = x.actor_token_id
          -- The employee or group as the statement left it (an AFTER trigger sees every change of its statement, the
          -- writable CTEs' included); a deleted group as the audit row describes it.
          LEFT JOIN LATERAL (
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
                'deactivatedAt', e.deactivated_at, 'deletedAt', e.deleted_at) AS resource
              FROM employees e WHERE x.target_type = 'employee' AND e.tenant_id = x.tenant_id AND e.id = x.target_id
          ) e ON true
          LEFT JOIN LATERAL (
            SELECT CASE WHEN x.kind = 'group.deleted'
                     THEN jsonb_build_object('id', x.target_id, 'displayName', x.changes->'displayName'->'from',
                                             'externalId', x.changes->'externalId'->'from')
                     ELSE (SELECT jsonb_build_object('id', gr.id, 'displayName', gr.display_name, 'externalId', gr.external_id,
                                                     'version', gr.version, 'createdAt', gr.created_at, 'updatedAt', gr.updated_at)
                             FROM groups gr WHERE gr.tenant_id = x.tenant_id AND gr.id = x.target_id)
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
        INSERT INTO event_pending (tenant_id, position) SELECT tenant_id, position FROM written;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_audit_events_to_events" AFTER INSERT ON "audit_events" REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "events_from_audit"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_audit_events_to_events" ON "audit_events"`);
    await queryRunner.query(`DROP FUNCTION "events_from_audit"()`);
    await queryRunner.query(`ALTER TABLE "event_sequences" DROP CONSTRAINT "FK_0c96db5c637b90204bbe7539bf9"`);
    await queryRunner.query(`ALTER TABLE "events" DROP CONSTRAINT "FK_098a5d310151924de7369f1336a"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "event_retention_days"`);
    await queryRunner.query(`DROP TABLE "event_sequences"`);
    await queryRunner.query(`DROP INDEX "public"."uq_event_numbers_tenant_position"`);
    await queryRunner.query(`DROP TABLE "event_numbers"`);
    await queryRunner.query(`DROP TABLE "event_pending"`);
    await queryRunner.query(`DROP INDEX "public"."uq_events_tenant_position"`);
    await queryRunner.query(`DROP INDEX "public"."ix_events_tenant_time"`);
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
