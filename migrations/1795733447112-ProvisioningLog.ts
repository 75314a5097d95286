import { MigrationInterface, QueryRunner } from "typeorm";

export class ProvisioningLog1795733447112 implements MigrationInterface {
    name = 'ProvisioningLog1795733447112'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "provisioning_events" ("tenant_id" uuid NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "outcome" character varying(8) NOT NULL, "method" character varying(8) NOT NULL, "path" text NOT NULL, "status" smallint NOT NULL, "scim_type" text, "detail" text, "employee_id" uuid, "user_name" text, "ignored_attributes" text array NOT NULL DEFAULT '{}', "duration_ms" integer NOT NULL, "request_id" text NOT NULL, "token_id" uuid, CONSTRAINT "ck_provisioning_events_outcome" CHECK (outcome IN ('SUCCESS','FAILURE')), CONSTRAINT "PK_7fddb5566fe95b431a0b42fdad4" PRIMARY KEY ("tenant_id", "id"))`);
        await queryRunner.query(`CREATE INDEX "ix_provisioning_events_tenant_employee" ON "provisioning_events"  ("tenant_id", "employee_id", "occurred_at") `);
        await queryRunner.query(`CREATE INDEX "ix_provisioning_events_tenant_time" ON "provisioning_events"  ("tenant_id", "occurred_at") `);
        await queryRunner.query(`ALTER TABLE "tenants" ADD "provisioning_log_retention_days" integer NOT NULL DEFAULT '30'`);
        await queryRunner.query(`ALTER TABLE "provisioning_events" ADD CONSTRAINT "FK_139fbb5b5819fd5e14520bb0f77" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "provisioning_events" DROP CONSTRAINT "FK_139fbb5b5819fd5e14520bb0f77"`);
        await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "provisioning_log_retention_days"`);
        await queryRunner.query(`DROP INDEX "public"."ix_provisioning_events_tenant_time"`);
        await queryRunner.query(`DROP INDEX "public"."ix_provisioning_events_tenant_employee"`);
        await queryRunner.query(`DROP TABLE "provisioning_events"`);
    }

}
