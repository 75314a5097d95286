import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deployment-wide ("platform") OAuth clients (issue 19: Okta's integration network gives an app one client id and
 * secret for every customer). A platform client and its secrets and pending authorization requests belong to no
 * tenant; an admin's approval makes the tenant's grant, an `oauth_clients` row with `platform_client_id` set, which
 * the tenant's codes and tokens reference as they reference the tenant's own clients. The grant shows the platform
 * client's client id, so `uq_oauth_clients_client_id` becomes partial (the tenants' own clients only). See
 * docs/oauth.md "Platform clients".
 */
export class OAuthPlatformClients1795740200000 implements MigrationInterface {
  name = 'OAuthPlatformClients1795740200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "oauth_platform_clients" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" text NOT NULL, "name" text NOT NULL, "redirect_uris" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_oauth_platform_clients" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_platform_clients_client_id" ON "oauth_platform_clients"  ("client_id") `);
    await queryRunner.query(`CREATE TABLE "oauth_platform_client_secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "platform_client_id" uuid NOT NULL, "secret_hash" character(64) NOT NULL, "prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_oauth_platform_client_secrets" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_oauth_platform_client_secrets_client" ON "oauth_platform_client_secrets"  ("platform_client_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_platform_client_secrets_hash" ON "oauth_platform_client_secrets"  ("secret_hash") `);
    await queryRunner.query(`CREATE TABLE "oauth_platform_authorization_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "platform_client_id" uuid NOT NULL, "redirect_uri" text NOT NULL, "state" text, "code_challenge" text, "code_challenge_method" text, "scope" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_oauth_platform_authorization_requests" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_oauth_platform_authorization_requests_client" ON "oauth_platform_authorization_requests"  ("platform_client_id") `);
    await queryRunner.query(`CREATE INDEX "ix_oauth_platform_authorization_requests_expires" ON "oauth_platform_authorization_requests"  ("expires_at") `);
    await queryRunner.query(`ALTER TABLE "oauth_clients" ADD "platform_client_id" uuid`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_clients_platform_client" ON "oauth_clients"  ("platform_client_id", "tenant_id") `);
    // TypeORM does not compare index predicates, so the drift check cannot see this one: made by hand.
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_clients_client_id"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_clients_client_id" ON "oauth_clients" ("client_id") WHERE platform_client_id IS NULL`);
    await queryRunner.query(`ALTER TABLE "oauth_platform_client_secrets" ADD CONSTRAINT "fk_oauth_platform_client_secrets_client" FOREIGN KEY ("platform_client_id") REFERENCES "oauth_platform_clients"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "oauth_platform_authorization_requests" ADD CONSTRAINT "fk_oauth_platform_authorization_requests_client" FOREIGN KEY ("platform_client_id") REFERENCES "oauth_platform_clients"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "oauth_clients" ADD CONSTRAINT "fk_oauth_clients_platform_client" FOREIGN KEY ("platform_client_id") REFERENCES "oauth_platform_clients"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oauth_clients" DROP CONSTRAINT "fk_oauth_clients_platform_client"`);
    await queryRunner.query(`ALTER TABLE "oauth_platform_authorization_requests" DROP CONSTRAINT "fk_oauth_platform_authorization_requests_client"`);
    await queryRunner.query(`ALTER TABLE "oauth_platform_client_secrets" DROP CONSTRAINT "fk_oauth_platform_client_secrets_client"`);
    // The grants go with their platform clients (their tokens and codes with them, by cascade).
    await queryRunner.query(`DELETE FROM "oauth_clients" WHERE "platform_client_id" IS NOT NULL`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_clients_client_id"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_clients_client_id" ON "oauth_clients" ("client_id") `);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_clients_platform_client"`);
    await queryRunner.query(`ALTER TABLE "oauth_clients" DROP COLUMN "platform_client_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_platform_authorization_requests_expires"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_platform_authorization_requests_client"`);
    await queryRunner.query(`DROP TABLE "oauth_platform_authorization_requests"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_platform_client_secrets_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_platform_client_secrets_client"`);
    await queryRunner.query(`DROP TABLE "oauth_platform_client_secrets"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_platform_clients_client_id"`);
    await queryRunner.query(`DROP TABLE "oauth_platform_clients"`);
  }
}
