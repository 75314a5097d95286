import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OAuth 2.0 for identity-provider connections (issue 19, docs/oauth.md): the tenant's clients and their hashed
 * secrets, issued access and refresh tokens (hashed), authorization requests and codes, and the tenant's access-token
 * lifetime. See src/entities/oauth-*.entity.ts.
 */
/**
 * The change feed trigger's statement as this migration writes it (migration EventsTriggerReplanned restores it when
 * it is reverted).
 */
export const EVENTS_FROM_AUDIT = `        WITH written AS (
        INSERT INTO events (tenant_id, type, occurred_at, actor_surface, actor_token_id, actor_token_name, resource_type,
                            resource_id, data, audit_event_id, request_id)
        SELECT x.tenant_id, x.kind, x.occurred_at, x.actor_surface, x.actor_token_id, COALESCE(t.name, oc.name), x.target_type, x.target_id,
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
          -- An OAuth access token acts as its client (src/http/auth.ts): the client's name is the actor's.
          LEFT JOIN oauth_clients oc ON t.id IS NULL AND oc.tenant_id = x.tenant_id AND oc.id = x.actor_token_id
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
        INSERT INTO event_pending (tenant_id, position) SELECT tenant_id, position FROM written;`;

export class OAuth1795740000000 implements MigrationInterface {
  name = 'OAuth1795740000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "oauth_clients" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" text NOT NULL, "name" text NOT NULL, "grant_types" text array NOT NULL, "redirect_uris" text array NOT NULL DEFAULT '{}', "federation" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_oauth_clients_grant_types" CHECK (grant_types <@ ARRAY['CLIENT_CREDENTIALS','AUTHORIZATION_CODE','JWT_BEARER']::text[] AND cardinality(grant_types) > 0), CONSTRAINT "PK_e3a6ba9c7b0314cbf8332c6b84b" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_clients_client_id" ON "oauth_clients"  ("client_id") `);
    await queryRunner.query(`CREATE TABLE "oauth_client_secrets" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "oauth_client_id" uuid NOT NULL, "secret_hash" character(64) NOT NULL, "prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_eb8f648ee163559547a693d9797" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_oauth_client_secrets_client" ON "oauth_client_secrets"  ("tenant_id", "oauth_client_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_client_secrets_hash" ON "oauth_client_secrets"  ("secret_hash") `);
    await queryRunner.query(`CREATE TABLE "oauth_authorizations" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "oauth_client_id" uuid NOT NULL, "redirect_uri" text NOT NULL, "state" text, "code_challenge" text, "code_challenge_method" text, "scope" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE, "code_hash" character(64), "code_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_90609baa2682918b7540d00874c" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_oauth_authorizations_expires" ON "oauth_authorizations"  ("expires_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_authorizations_code_hash" ON "oauth_authorizations"  ("code_hash") `);
    await queryRunner.query(`CREATE TABLE "oauth_tokens" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "oauth_client_id" uuid NOT NULL, "kind" character varying(8) NOT NULL, "token_hash" character(64) NOT NULL, "family_id" uuid NOT NULL, "secret_id" uuid, "authorization_id" uuid, "scope" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "rotated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_oauth_tokens_kind" CHECK (kind IN ('access','refresh')), CONSTRAINT "PK_d2ecd061c0af4331c610aecc9c1" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_oauth_tokens_expires" ON "oauth_tokens"  ("expires_at") `);
    await queryRunner.query(`CREATE INDEX "ix_oauth_tokens_family" ON "oauth_tokens"  ("tenant_id", "family_id") `);
    await queryRunner.query(`CREATE INDEX "ix_oauth_tokens_client" ON "oauth_tokens"  ("tenant_id", "oauth_client_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_tokens_hash" ON "oauth_tokens"  ("token_hash") `);
    await queryRunner.query(`ALTER TABLE "tenants" ADD "oauth_access_token_lifetime_seconds" integer NOT NULL DEFAULT '3600'`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD CONSTRAINT "ck_tenants_oauth_access_token_lifetime" CHECK (oauth_access_token_lifetime_seconds BETWEEN 300 AND 21600)`);
    await queryRunner.query(`ALTER TABLE "oauth_clients" ADD CONSTRAINT "FK_74abff294e8ab96ed7e41c058c9" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "oauth_client_secrets" ADD CONSTRAINT "FK_481a0cfb36d260ebc1f8b1a6248" FOREIGN KEY ("tenant_id", "oauth_client_id") REFERENCES "oauth_clients"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "oauth_authorizations" ADD CONSTRAINT "FK_4a8db03ff51feceff3ecf2771c6" FOREIGN KEY ("tenant_id", "oauth_client_id") REFERENCES "oauth_clients"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "oauth_tokens" ADD CONSTRAINT "FK_cc178447921472c9e21bdad64e3" FOREIGN KEY ("tenant_id", "oauth_client_id") REFERENCES "oauth_clients"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    // Events made by an OAuth access token name its client as the actor, as those of a bearer token name the token
    // (the function of migration Events, with oauth_clients joined).
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Each event also gets its narrow row in event_pending, which the sequencer numbers (and deletes) after commit.
${EVENTS_FROM_AUDIT}
        RETURN NULL;
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "events_from_audit"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await queryRunner.query(`ALTER TABLE "oauth_tokens" DROP CONSTRAINT "FK_cc178447921472c9e21bdad64e3"`);
    await queryRunner.query(`ALTER TABLE "oauth_authorizations" DROP CONSTRAINT "FK_4a8db03ff51feceff3ecf2771c6"`);
    await queryRunner.query(`ALTER TABLE "oauth_client_secrets" DROP CONSTRAINT "FK_481a0cfb36d260ebc1f8b1a6248"`);
    await queryRunner.query(`ALTER TABLE "oauth_clients" DROP CONSTRAINT "FK_74abff294e8ab96ed7e41c058c9"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP CONSTRAINT "ck_tenants_oauth_access_token_lifetime"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "oauth_access_token_lifetime_seconds"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_tokens_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_tokens_client"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_tokens_family"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_tokens_expires"`);
    await queryRunner.query(`DROP TABLE "oauth_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_authorizations_code_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_authorizations_expires"`);
    await queryRunner.query(`DROP TABLE "oauth_authorizations"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_client_secrets_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_client_secrets_client"`);
    await queryRunner.query(`DROP TABLE "oauth_client_secrets"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_clients_client_id"`);
    await queryRunner.query(`DROP TABLE "oauth_clients"`);
  }
}
