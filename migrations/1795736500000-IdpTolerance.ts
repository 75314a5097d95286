import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What real identity-provider traffic needs (issue 15): a username policy and a default phone region per tenant,
 * `name.formatted` kept as sent, and provisioning-log warnings for optional values that were skipped.
 */
export class IdpTolerance1795736500000 implements MigrationInterface {
  name = 'IdpTolerance1795736500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" ADD "username_format" character varying(8) NOT NULL DEFAULT 'EMAIL'`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD "default_phone_region" character varying(2)`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD CONSTRAINT "ck_tenants_username_format" CHECK (username_format IN ('EMAIL','ANY'))`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD CONSTRAINT "ck_tenants_default_phone_region" CHECK (default_phone_region ~ '^[A-Z]{2}$')`);
    await queryRunner.query(`ALTER TABLE "employees" ADD "formatted_name" text`);
    await queryRunner.query(`ALTER TABLE "provisioning_events" ADD "warnings" jsonb NOT NULL DEFAULT '[]'`);
    await queryRunner.query(`ALTER TABLE "provisioning_events" DROP CONSTRAINT "ck_provisioning_events_outcome"`);
    await queryRunner.query(
      `ALTER TABLE "provisioning_events" ADD CONSTRAINT "ck_provisioning_events_outcome" CHECK (outcome IN ('SUCCESS','WARNING','FAILURE'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "provisioning_events" DROP CONSTRAINT "ck_provisioning_events_outcome"`);
    await queryRunner.query(`UPDATE "provisioning_events" SET outcome = 'SUCCESS' WHERE outcome = 'WARNING'`);
    await queryRunner.query(`ALTER TABLE "provisioning_events" ADD CONSTRAINT "ck_provisioning_events_outcome" CHECK (outcome IN ('SUCCESS','FAILURE'))`);
    await queryRunner.query(`ALTER TABLE "provisioning_events" DROP COLUMN "warnings"`);
    await queryRunner.query(`ALTER TABLE "employees" DROP COLUMN "formatted_name"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP CONSTRAINT "ck_tenants_default_phone_region"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP CONSTRAINT "ck_tenants_username_format"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "default_phone_region"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "username_format"`);
  }
}
