import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `jti` of every JWT assertion accepted at the token endpoint (issue 19, RFC 7523 section 3 item 7), kept until the
 * assertion expires, so that a second presentation is refused. Keyed by issuer: RFC 7519 makes a `jti` unique per
 * issuer only. Not tenant-scoped: an assertion is checked before any tenant is known, and a `jti` seen by one tenant's
 * client must not be accepted by another's. See src/services/oauth/assertion.ts.
 */
export class OAuthAssertionJti1795740100000 implements MigrationInterface {
  name = 'OAuthAssertionJti1795740100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "oauth_assertion_jtis" ("issuer" text NOT NULL, "jti" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_oauth_assertion_jtis" PRIMARY KEY ("issuer", "jti"))`);
    await queryRunner.query(`CREATE INDEX "ix_oauth_assertion_jtis_expires_at" ON "oauth_assertion_jtis" ("expires_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_oauth_assertion_jtis_expires_at"`);
    await queryRunner.query(`DROP TABLE "oauth_assertion_jtis"`);
  }
}
