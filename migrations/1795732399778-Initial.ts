import { MigrationInterface, QueryRunner } from "typeorm";

export class Initial1795732399778 implements MigrationInterface {
    name = 'Initial1795732399778'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Hand-added: TypeORM does not generate extensions. citext makes usernames and names case-insensitive;
        // pg_trgm backs substring search. Both ship with PostgreSQL contrib and with the embedded PGlite build.
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS citext`);
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
        await queryRunner.query(`CREATE TABLE "tenants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "slug" text NOT NULL, "scim_import_fields" text array NOT NULL DEFAULT '{}', "default_role_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_tenants_slug" ON "tenants"  ("slug") `);
        await queryRunner.query(`CREATE TABLE "access_tokens" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "scope" character varying(16) NOT NULL, "token_hash" character(64) NOT NULL, "prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_access_tokens_scope" CHECK (scope IN ('scim','admin','read')), CONSTRAINT "PK_f691a46681e810f44e81e134c3c" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE INDEX "ix_access_tokens_tenant_prefix" ON "access_tokens"  ("tenant_id", "prefix") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_access_tokens_token_hash" ON "access_tokens"  ("token_hash") `);
        await queryRunner.query(`CREATE TABLE "audit_events" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_surface" character varying(16) NOT NULL, "actor_token_id" uuid, "action" text NOT NULL, "target_type" text NOT NULL, "target_id" uuid, "changes" jsonb NOT NULL DEFAULT '{}', "request_id" text, CONSTRAINT "ck_audit_events_actor_surface" CHECK (actor_surface IN ('scim','graphql','cli','system')), CONSTRAINT "PK_7445fcd6291ee354a6988ae6d3c" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_time" ON "audit_events"  ("tenant_id", "occurred_at") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_target" ON "audit_events"  ("tenant_id", "target_type", "target_id", "occurred_at") `);
        await queryRunner.query(`CREATE TABLE "login_authenticators" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" citext NOT NULL, "is_default" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e8523211a4ead92aaba8b646f9e" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_login_authenticators_tenant_name" ON "login_authenticators"  ("tenant_id", "name") `);
        await queryRunner.query(`CREATE TABLE "roles" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" citext NOT NULL, "description" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_60d5fa8e03e318e5235bf0b34ff" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_roles_tenant_name" ON "roles"  ("tenant_id", "name") `);
        await queryRunner.query(`CREATE TABLE "teams" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" citext NOT NULL, "description" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e0ceda1b06ef2999995f527fa5d" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_teams_tenant_name" ON "teams"  ("tenant_id", "name") `);
        await queryRunner.query(`CREATE TABLE "employee_templates" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" citext NOT NULL, "primary_role_id" uuid, "team_id" uuid, "time_zone" text, "type" text, "login_authenticator_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3123f88799eebb60649cb206e24" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_employee_templates_tenant_name" ON "employee_templates"  ("tenant_id", "name") `);
        await queryRunner.query(`CREATE TABLE "employees" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "username" citext NOT NULL, "first_name" text NOT NULL, "last_name" text NOT NULL, "email" citext NOT NULL, "display_name" text, "middle_name" text, "mobile_number" text, "time_zone" text, "type" text, "login_authenticator_id" uuid, "primary_role_id" uuid, "team_id" uuid, "status" character varying(16) NOT NULL DEFAULT 'ACTIVE', "managed_by" character varying(24) NOT NULL, "external_id" text, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deactivated_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_employees_managed_by" CHECK (managed_by IN ('IDENTITY_PROVIDER','LOCAL')), CONSTRAINT "ck_employees_status" CHECK (status IN ('ACTIVE','INACTIVE')), CONSTRAINT "PK_c4f9d9ebd599f333e9b2e56fc69" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE INDEX "ix_employees_tenant_external_id" ON "employees"  ("tenant_id", "external_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_employees_tenant_username" ON "employees"  ("tenant_id", "username") WHERE deleted_at IS NULL`);
        await queryRunner.query(`ALTER TABLE "access_tokens" ADD CONSTRAINT "FK_e4e97dcb77db4dfe57b2985fc42" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "audit_events" ADD CONSTRAINT "FK_d7ff59f708e396fd6c1656a66e9" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "login_authenticators" ADD CONSTRAINT "FK_d901ff1bea9b746542ad6513873" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "roles" ADD CONSTRAINT "FK_e59a01f4fe46ebbece575d9a0fc" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "teams" ADD CONSTRAINT "FK_11c78d7c145fb2c24ae04b17c0c" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employee_templates" ADD CONSTRAINT "FK_caa7536b63ab0339bc5180267ae" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employee_templates" ADD CONSTRAINT "FK_9cfc61683601e413e9cea70a7db" FOREIGN KEY ("tenant_id", "primary_role_id") REFERENCES "roles"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employee_templates" ADD CONSTRAINT "FK_8f8c5ce747f5e37d811dff7d275" FOREIGN KEY ("tenant_id", "team_id") REFERENCES "teams"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employee_templates" ADD CONSTRAINT "FK_5a085072c7ecf350615584e7037" FOREIGN KEY ("tenant_id", "login_authenticator_id") REFERENCES "login_authenticators"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employees" ADD CONSTRAINT "FK_588d18aeef0504067e40c682788" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employees" ADD CONSTRAINT "FK_caae26604e5dbb79e1f2ec31501" FOREIGN KEY ("tenant_id", "primary_role_id") REFERENCES "roles"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employees" ADD CONSTRAINT "FK_aeff93d2ed11a88729ae6746f92" FOREIGN KEY ("tenant_id", "team_id") REFERENCES "teams"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "employees" ADD CONSTRAINT "FK_d04045d6587122fc879502cfe9b" FOREIGN KEY ("tenant_id", "login_authenticator_id") REFERENCES "login_authenticators"("tenant_id","id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "employees" DROP CONSTRAINT "FK_d04045d6587122fc879502cfe9b"`);
        await queryRunner.query(`ALTER TABLE "employees" DROP CONSTRAINT "FK_aeff93d2ed11a88729ae6746f92"`);
        await queryRunner.query(`ALTER TABLE "employees" DROP CONSTRAINT "FK_caae26604e5dbb79e1f2ec31501"`);
        await queryRunner.query(`ALTER TABLE "employees" DROP CONSTRAINT "FK_588d18aeef0504067e40c682788"`);
        await queryRunner.query(`ALTER TABLE "employee_templates" DROP CONSTRAINT "FK_5a085072c7ecf350615584e7037"`);
        await queryRunner.query(`ALTER TABLE "employee_templates" DROP CONSTRAINT "FK_8f8c5ce747f5e37d811dff7d275"`);
        await queryRunner.query(`ALTER TABLE "employee_templates" DROP CONSTRAINT "FK_9cfc61683601e413e9cea70a7db"`);
        await queryRunner.query(`ALTER TABLE "employee_templates" DROP CONSTRAINT "FK_caa7536b63ab0339bc5180267ae"`);
        await queryRunner.query(`ALTER TABLE "teams" DROP CONSTRAINT "FK_11c78d7c145fb2c24ae04b17c0c"`);
        await queryRunner.query(`ALTER TABLE "roles" DROP CONSTRAINT "FK_e59a01f4fe46ebbece575d9a0fc"`);
        await queryRunner.query(`ALTER TABLE "login_authenticators" DROP CONSTRAINT "FK_d901ff1bea9b746542ad6513873"`);
        await queryRunner.query(`ALTER TABLE "audit_events" DROP CONSTRAINT "FK_d7ff59f708e396fd6c1656a66e9"`);
        await queryRunner.query(`ALTER TABLE "access_tokens" DROP CONSTRAINT "FK_e4e97dcb77db4dfe57b2985fc42"`);
        await queryRunner.query(`DROP INDEX "public"."uq_employees_tenant_username"`);
        await queryRunner.query(`DROP INDEX "public"."ix_employees_tenant_external_id"`);
        await queryRunner.query(`DROP TABLE "employees"`);
        await queryRunner.query(`DROP INDEX "public"."uq_employee_templates_tenant_name"`);
        await queryRunner.query(`DROP TABLE "employee_templates"`);
        await queryRunner.query(`DROP INDEX "public"."uq_teams_tenant_name"`);
        await queryRunner.query(`DROP TABLE "teams"`);
        await queryRunner.query(`DROP INDEX "public"."uq_roles_tenant_name"`);
        await queryRunner.query(`DROP TABLE "roles"`);
        await queryRunner.query(`DROP INDEX "public"."uq_login_authenticators_tenant_name"`);
        await queryRunner.query(`DROP TABLE "login_authenticators"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_events_tenant_target"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_events_tenant_time"`);
        await queryRunner.query(`DROP TABLE "audit_events"`);
        await queryRunner.query(`DROP INDEX "public"."uq_access_tokens_token_hash"`);
        await queryRunner.query(`DROP INDEX "public"."ix_access_tokens_tenant_prefix"`);
        await queryRunner.query(`DROP TABLE "access_tokens"`);
        await queryRunner.query(`DROP INDEX "public"."uq_tenants_slug"`);
        await queryRunner.query(`DROP TABLE "tenants"`);
    }

}
