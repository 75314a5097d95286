import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin lists that fit people's names (issue 20):
 * - `tenants.locale`: the BCP 47 locale whose ICU collation orders names (src/services/collation.ts).
 * - `ix_employees_tenant_name`: live employees by last name, first name and id in the ICU root collation
 *   (`und-x-icu`, present in every ICU-enabled PostgreSQL and in the embedded one). Locales whose collation is root's
 *   (English, the default, and the others ROOT_ORDERED_LANGUAGES lists) read their name pages off it; see
 *   docs/graphql.md "Name order" for why one root index rather than an index per locale.
 * - Accent-insensitive search: SEARCH_DOCUMENT is folded by `rollcall_search_fold` (unaccent behind an IMMUTABLE
 *   wrapper, which an index expression needs: unaccent itself is STABLE as its dictionary could change), and the
 *   trigram index is rebuilt over the folded document. The expression must stay identical to SEARCH_DOCUMENT.
 * - The provisioning log searched by userName: a trigram index on `user_name`.
 * Hand-written: TypeORM cannot express collated, expression or GIN indexes (the entities mark them synchronize: false).
 */
export class Lists1795741000000 implements MigrationInterface {
  name = 'Lists1795741000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" ADD "locale" character varying(35) NOT NULL DEFAULT 'en-US'`);
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    // The dictionary and the function by their schema: an index expression is also evaluated under other search paths
    // (pg_dump's restore runs with an empty one).
    const [{ schema }] = (await queryRunner.query(
      `SELECT quote_ident(n.nspname) AS schema FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = 'unaccent'`,
    )) as { schema: string }[];
    await queryRunner.query(
      `CREATE FUNCTION rollcall_search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
         AS $$ SELECT ${schema}.unaccent('${schema}.unaccent'::regdictionary, $1) $$`,
    );
    await queryRunner.query(`DROP INDEX "public"."ix_employees_search_trgm"`);
    await queryRunner.query(searchIndex(true));
    await queryRunner.query(
      `CREATE INDEX "ix_employees_tenant_name" ON "employees" ("tenant_id", "last_name" COLLATE "und-x-icu", "first_name" COLLATE "und-x-icu", "id") WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_provisioning_events_user_name_trgm" ON "provisioning_events" USING gin ("user_name" gin_trgm_ops) WITH (gin_pending_list_limit = 256)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_provisioning_events_user_name_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."ix_employees_tenant_name"`);
    await queryRunner.query(`DROP INDEX "public"."ix_employees_search_trgm"`);
    await queryRunner.query(searchIndex(false));
    await queryRunner.query(`DROP FUNCTION rollcall_search_fold(text)`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "locale"`);
  }
}

/** The trigram index of SEARCH_DOCUMENT (src/services/employee/types.ts), folded or as migration UsernameKey left it. */
function searchIndex(folded: boolean): string {
  const document =
    `first_name || ' ' || last_name || ' ' || username_key || ' ' || email::text || ' ' || ` +
    `coalesce(display_name, '') || ' ' || coalesce(middle_name, '')`;
  return (
    `CREATE INDEX "ix_employees_search_trgm" ON "employees" USING gin ((${folded ? `rollcall_search_fold(${document})` : document}) gin_trgm_ops) ` +
    `WITH (gin_pending_list_limit = 256)`
  );
}
