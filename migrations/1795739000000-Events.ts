import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The change feed (issue 18, docs/events.md): the `events` outbox, the per-tenant sequence counters, the tenant's
 * event retention, and the trigger that writes events.
 *
 * Events are derived from the audit rows every change already writes in its own transaction (and, for the batched
 * SCIM statements, in the same statement, as a CTE): an AFTER INSERT row trigger on `audit_events` maps the action to
 * an event type and renders the resource as it is after the change. A row-level AFTER trigger fires at the end of the
 * statement and sees every change the statement made, its other CTEs included (PostgreSQL manual, "Visibility of
 * Data Changes"), so the employee row read here is the one the statement wrote. A rolled-back change takes its audit
 * row and its event with it; a committed one has both.
 *
 * Events are inserted without a sequence number (`seq` NULL): numbers are assigned after commit by the sequencer
 * (eventService.sequence in src/services/event.service.ts), so that a transaction that commits late cannot take a
 * number below one a consumer has already read past. The trigger sends no NOTIFY: a NOTIFY makes every notifying
 * transaction take one database-wide lock from its pre-commit to the end of its commit, which serialised the commits
 * of concurrent SCIM writes (measured: 4 clients of the batched UPDATE went from about 1,400-1,800 to 330-520
 * transactions a second). Instances find unnumbered events by polling the partial index `ix_events_unsequenced`
 * instead (src/services/event-feed.ts), and only the sequencer notifies, once per run.
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
    await queryRunner.query(`CREATE TABLE "events" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "position" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "seq" bigint, "type" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_surface" character varying(16) NOT NULL, "actor_token_id" uuid, "actor_token_name" text, "resource_type" text NOT NULL, "resource_id" uuid NOT NULL, "data" jsonb NOT NULL, "audit_event_id" uuid NOT NULL, "request_id" text, CONSTRAINT "ck_events_actor_surface" CHECK (actor_surface IN ('scim','graphql','cli','system')), CONSTRAINT "ck_events_type" CHECK (type IN ('employee.created','employee.updated','employee.deactivated','employee.reactivated','employee.deleted','group.created','group.updated','group.deleted','group.members_added','group.members_removed')), CONSTRAINT "PK_700597e26df59e1931a61cf8472" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_events_tenant_time" ON "events"  ("tenant_id", "occurred_at") `);
    await queryRunner.query(`CREATE INDEX "ix_events_unsequenced" ON "events"  ("tenant_id", "position") WHERE seq IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_events_tenant_seq" ON "events"  ("tenant_id", "seq") `);
    await queryRunner.query(`CREATE TABLE "event_sequences" ("tenant_id" uuid NOT NULL, "last_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_0c96db5c637b90204bbe7539bf9" PRIMARY KEY ("tenant_id"))`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD "event_retention_days" integer NOT NULL DEFAULT '30'`);
    await queryRunner.query(`ALTER TABLE "events" ADD CONSTRAINT "FK_098a5d310151924de7369f1336a" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_sequences" ADD CONSTRAINT "FK_0c96db5c637b90204bbe7539bf9" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);

    await queryRunner.query(`
      CREATE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        kind text;
        resource jsonb;
        token_name text;
        ids jsonb;
      BEGIN
        kind := CASE NEW.action
          WHEN 'employee.created' THEN 'employee.created'
          WHEN 'employee.updated' THEN 'employee.updated'
          WHEN 'employee.claimed' THEN 'employee.updated'
          WHEN 'employee.deleted' THEN 'employee.deleted'
          WHEN 'group.created' THEN 'group.created'
          WHEN 'group.updated' THEN 'group.updated'
          WHEN 'group.deleted' THEN 'group.deleted'
          WHEN 'group.members_added' THEN 'group.members_added'
          WHEN 'group.members_removed' THEN 'group.members_removed'
        END;
        IF kind IS NULL OR NEW.target_id IS NULL THEN
          RETURN NULL;
        END IF;
        IF kind = 'employee.updated' AND NEW.changes ? 'status' THEN
          kind := CASE NEW.changes->'status'->>'to'
            WHEN 'INACTIVE' THEN 'employee.deactivated'
            WHEN 'ACTIVE' THEN 'employee.reactivated'
            ELSE kind END;
        END IF;
        IF NEW.actor_token_id IS NOT NULL THEN
          SELECT t.name INTO token_name FROM access_tokens t WHERE t.tenant_id = NEW.tenant_id AND t.id = NEW.actor_token_id;
        END IF;

        IF NEW.target_type = 'employee' THEN
          SELECT jsonb_build_object(
              'id', e.id, 'username', e.username, 'externalId', e.external_id,
              'firstName', e.first_name, 'middleName', e.middle_name, 'lastName', e.last_name,
              'displayName', e.display_name, 'formattedName', e.formatted_name, 'email', e.email,
              'mobileNumber', e.mobile_number, 'timeZone', e.time_zone, 'type', e.type,
              'status', e.status, 'managedBy', e.managed_by,
              'primaryRole', CASE WHEN r.id IS NULL THEN NULL ELSE jsonb_build_object('id', r.id, 'name', r.name) END,
              'team', CASE WHEN m.id IS NULL THEN NULL ELSE jsonb_build_object('id', m.id, 'name', m.name) END,
              'loginAuthenticator', CASE WHEN a.id IS NULL THEN NULL ELSE jsonb_build_object('id', a.id, 'name', a.name) END,
              'version', e.version, 'createdAt', e.created_at, 'updatedAt', e.updated_at,
              'deactivatedAt', e.deactivated_at, 'deletedAt', e.deleted_at)
            INTO resource
            FROM employees e
            LEFT JOIN roles r ON r.tenant_id = e.tenant_id AND r.id = e.primary_role_id
            LEFT JOIN teams m ON m.tenant_id = e.tenant_id AND m.id = e.team_id
            LEFT JOIN login_authenticators a ON a.tenant_id = e.tenant_id AND a.id = e.login_authenticator_id
           WHERE e.tenant_id = NEW.tenant_id AND e.id = NEW.target_id;
        ELSIF kind = 'group.deleted' THEN
          -- The row is gone: the group as it was, from the audit row.
          resource := jsonb_build_object('id', NEW.target_id, 'displayName', NEW.changes->'displayName'->'from',
                                         'externalId', NEW.changes->'externalId'->'from');
        ELSE
          SELECT jsonb_build_object('id', g.id, 'displayName', g.display_name, 'externalId', g.external_id,
                                    'version', g.version, 'createdAt', g.created_at, 'updatedAt', g.updated_at)
            INTO resource
            FROM groups g WHERE g.tenant_id = NEW.tenant_id AND g.id = NEW.target_id;
        END IF;

        IF kind IN ('group.members_added', 'group.members_removed') THEN
          ids := CASE WHEN kind = 'group.members_added' THEN NEW.changes->'memberIds'->'to' ELSE NEW.changes->'memberIds'->'from' END;
          INSERT INTO events (tenant_id, type, occurred_at, actor_surface, actor_token_id, actor_token_name, resource_type,
                              resource_id, data, audit_event_id, request_id)
          SELECT NEW.tenant_id, kind, NEW.occurred_at, NEW.actor_surface, NEW.actor_token_id, token_name, 'group',
                 NEW.target_id,
                 jsonb_build_object('group', resource, 'memberIds', c.member_ids,
                                    'chunk', jsonb_build_object('index', c.n + 1, 'count', count(*) OVER ())),
                 NEW.id, NEW.request_id
            FROM (SELECT (o - 1) / 1000 AS n, jsonb_agg(x ORDER BY o) AS member_ids
                    FROM jsonb_array_elements(COALESCE(ids, '[]'::jsonb)) WITH ORDINALITY AS m(x, o)
                   GROUP BY 1) c
           ORDER BY c.n;
        ELSE
          INSERT INTO events (tenant_id, type, occurred_at, actor_surface, actor_token_id, actor_token_name, resource_type,
                              resource_id, data, audit_event_id, request_id)
          VALUES (NEW.tenant_id, kind, NEW.occurred_at, NEW.actor_surface, NEW.actor_token_id, token_name, NEW.target_type,
                  NEW.target_id,
                  CASE WHEN kind IN ('employee.updated', 'employee.deactivated', 'employee.reactivated', 'group.updated')
                       THEN jsonb_build_object(NEW.target_type, resource, 'changes', NEW.changes)
                       ELSE jsonb_build_object(NEW.target_type, resource) END,
                  NEW.id, NEW.request_id);
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_audit_events_to_events" AFTER INSERT ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "events_from_audit"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_audit_events_to_events" ON "audit_events"`);
    await queryRunner.query(`DROP FUNCTION "events_from_audit"()`);
    await queryRunner.query(`ALTER TABLE "event_sequences" DROP CONSTRAINT "FK_0c96db5c637b90204bbe7539bf9"`);
    await queryRunner.query(`ALTER TABLE "events" DROP CONSTRAINT "FK_098a5d310151924de7369f1336a"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "event_retention_days"`);
    await queryRunner.query(`DROP TABLE "event_sequences"`);
    await queryRunner.query(`DROP INDEX "public"."uq_events_tenant_seq"`);
    await queryRunner.query(`DROP INDEX "public"."ix_events_unsequenced"`);
    await queryRunner.query(`DROP INDEX "public"."ix_events_tenant_time"`);
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
