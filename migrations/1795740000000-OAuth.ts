import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OAuth 2.0 for identity-provider connections (issue 19, docs/oauth.md): the tenant's clients and their hashed
 * secrets, issued access and refresh tokens (hashed), authorization requests and codes, and the tenant's access-token
 * lifetime. See src/entities/oauth-*.entity.ts.
 */
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
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
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
