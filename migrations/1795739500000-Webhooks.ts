import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks of the change feed (issue 18, docs/events.md "Webhooks"): the tenant's endpoints, each with its signing
 * secrets and its place in the tenant's event sequence, and the delivery log. See src/entities/webhook-endpoint.entity.ts.
 */
export class Webhooks1795739500000 implements MigrationInterface {
  name = 'Webhooks1795739500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "webhook_endpoints" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "url" text NOT NULL, "description" text, "event_types" text array NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "disabled_reason" text, "signing_secrets" jsonb NOT NULL, "secret_prefix" text NOT NULL, "cursor_seq" bigint NOT NULL DEFAULT '0', "attempts" integer NOT NULL DEFAULT '0', "failing_since" TIMESTAMP WITH TIME ZONE, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "lease_until" TIMESTAMP WITH TIME ZONE, "lease_owner" text, "last_delivery_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_aaf5edad648c95c8e7060aebfba" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_endpoints_due" ON "webhook_endpoints"  ("next_attempt_at") WHERE enabled`);
    await queryRunner.query(`CREATE TABLE "webhook_deliveries" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "endpoint_id" uuid NOT NULL, "event_id" uuid NOT NULL, "event_seq" bigint NOT NULL, "event_type" text NOT NULL, "status" character varying(16) NOT NULL, "attempts" integer NOT NULL, "last_status_code" integer, "last_error" text, "last_latency_ms" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_webhook_deliveries_status" CHECK (status IN ('delivered','retrying','failed')), CONSTRAINT "PK_b41a9153894afa48ae2cccd8dec" PRIMARY KEY ("tenant_id", "id"))`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_endpoint_seq" ON "webhook_deliveries"  ("tenant_id", "endpoint_id", "event_seq") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_webhook_deliveries_endpoint_event" ON "webhook_deliveries"  ("tenant_id", "endpoint_id", "event_id") `);
    await queryRunner.query(`ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "FK_54847f2dacee9618585993f1474" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_dd2bc3de0e4a0329a4ef30600b4" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_7edef4dca8a9d3fe67d8ed47e15" FOREIGN KEY ("tenant_id", "endpoint_id") REFERENCES "webhook_endpoints"("tenant_id","id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_7edef4dca8a9d3fe67d8ed47e15"`);
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_dd2bc3de0e4a0329a4ef30600b4"`);
    await queryRunner.query(`ALTER TABLE "webhook_endpoints" DROP CONSTRAINT "FK_54847f2dacee9618585993f1474"`);
    await queryRunner.query(`DROP INDEX "public"."uq_webhook_deliveries_endpoint_event"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_endpoint_seq"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_endpoints_due"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
  }
}
