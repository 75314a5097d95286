import { MigrationInterface, QueryRunner } from 'typeorm';
import { logger } from '../src/logging';

/**
 * Admin lists that fit people's names (issue 20):
 * - `tenants.locale`: the BCP 47 locale whose ICU collation orders names (src/services/collation.ts).
 * - `ix_employees_tenant_name`: live employees by last name, first name and id in the ICU root collation
 *   (`und-x-icu`, present in every ICU-enabled PostgreSQL and in the embedded one). Locales whose collation is root's
 *   (English, the default, and the others ROOT_ORDERED_LANGUAGES lists) read their name pages off it; see
 *   docs/graphql.md "Name order" for why one root index rather than an index per locale.
 * - Accent-insensitive search: SEARCH_DOCUMENT is folded by `rollcall_search_fold` (unaccent behind an IMMUTABLE
 *   wrapper, which an index expression needs: unaccent itself is STABLE as its dictionary could change; see
 *   createSearchFold), and the trigram index is rebuilt over the folded document. The expression must stay identical
 *   to SEARCH_DOCUMENT.
 * - The provisioning log searched by userName: a trigram index on `user_name`.
 * Hand-written: TypeORM cannot express collated, expression or GIN indexes (the entities mark them synchronize: false).
 */
export class Lists1795741000000 implements MigrationInterface {
  name = 'Lists1795741000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" ADD "locale" character varying(35) NOT NULL DEFAULT 'en-US'`);
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    await createSearchFold(queryRunner);
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
    await queryRunner.query(`DROP FUNCTION IF EXISTS rollcall_unaccent(regdictionary, text)`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "locale"`);
  }
}

/**
 * `rollcall_search_fold(text)`: unaccent with the extension's own dictionary, IMMUTABLE. Its cost is per row a search
 * rechecks or filters, so it matters: as an SQL function around unaccent it cannot be inlined (its body, unaccent, is
 * STABLE) and every call went through the SQL-function executor, which made a search for a common term at 100,000
 * people 2.4 times slower (266 → 632 ms; docs/graphql.md). Declaring unaccent's own C entry point IMMUTABLE
 * (`rollcall_unaccent`) lets the wrapper inline into a direct call: folded searches then cost what unfolded ones did.
 * Creating a C-language function needs a superuser; without one, the slower SQL wrapper is created instead (same name,
 * same results, so the index and queries are identical) and the migration says so.
 */
async function createSearchFold(queryRunner: QueryRunner): Promise<void> {
  // The dictionary and the function by their schema: an index expression is also evaluated under other search paths
  // (pg_dump's restore runs with an empty one).
  const [unaccent] = (await queryRunner.query(
    `SELECT quote_ident(n.nspname) AS schema, p.probin, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proname = 'unaccent' AND p.pronargs = 2 AND n.oid = (SELECT extnamespace FROM pg_extension WHERE extname = 'unaccent')`,
  )) as { schema: string; probin: string; prosrc: string }[];
  const dictionary = `'${unaccent.schema}.unaccent'::regdictionary`;
  const savepoint = queryRunner.isTransactionActive;
  if (savepoint) await queryRunner.query('SAVEPOINT rollcall_search_fold');
  try {
    await queryRunner.query(
      `CREATE FUNCTION rollcall_unaccent(regdictionary, text) RETURNS text LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
         AS '${unaccent.probin}', '${unaccent.prosrc}'`,
    );
    await queryRunner.query(
      `CREATE FUNCTION rollcall_search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
         RETURN rollcall_unaccent(${dictionary}, $1)`,
    );
    if (savepoint) await queryRunner.query('RELEASE SAVEPOINT rollcall_search_fold');
  } catch (error) {
    // 42501 insufficient_privilege: not a superuser.
    if ((error as { driverError?: { code?: string }; code?: string }).driverError?.code !== '42501' && (error as { code?: string }).code !== '42501') throw error;
    if (savepoint) await queryRunner.query('ROLLBACK TO SAVEPOINT rollcall_search_fold');
    logger.warn(
      'migration Lists: not a superuser, so rollcall_search_fold wraps unaccent in SQL: accent-insensitive search works, but ' +
        'searches that filter many rows are slower. A superuser can run the migration again for the fast version (docs/graphql.md).',
    );
    await queryRunner.query(
      `CREATE FUNCTION rollcall_search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
         AS $$ SELECT ${unaccent.schema}.unaccent(${dictionary}, $1) $$`,
    );
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
