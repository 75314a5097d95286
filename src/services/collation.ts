import { RequestContext } from './context';
import * as sql from './sql';

/**
 * How names are ordered in admin lists: in the ICU collation of the tenant's locale (`tenants.locale`, BCP 47,
 * default en-US), so that "José Álvarez" comes before "Tim Zone" (byte order put it after: `Á` is 0xC3 0x81).
 *
 * One index serves name pages, in the ICU root collation `und-x-icu` (ix_employees_tenant_name, migration Lists).
 * CLDR gives most languages no tailoring of their own: their standard collation is root's, so a page for them reads
 * off that index. The others (Swedish puts `ö` after `z`, Spanish `ñ` after `n`, …) sort in a collation of their
 * locale created when the tenant chooses it; such a page sorts the tenant's live rows (a bounded top-N sort: about
 * 60 ms at 100,000 people on PostgreSQL, see docs/graphql.md "Name order"). An index per locale would make every
 * settings change a table-locking index build, for a few tenants.
 */

/**
 * Languages whose CLDR standard collation is the root collation (no tailoring). test/lists.test.ts checks each against
 * PostgreSQL's own collation of the language. French of Canada is tailored (accents compared backwards).
 */
export const ROOT_ORDERED_LANGUAGES: ReadonlySet<string> = new Set(['en', 'de', 'fr', 'it', 'pt', 'nl', 'id', 'ms']);
const TAILORED_EXCEPTIONS: ReadonlySet<string> = new Set(['fr-CA']);

/** The ICU root collation, predefined by PostgreSQL (and the embedded database) when built with ICU. */
export const ROOT_COLLATION = '"und-x-icu"';

export const DEFAULT_LOCALE = 'en-US';

/**
 * Only language, optional script and optional region (`sv`, `sr-Latn-RS`, `es-419`): a tag with extensions
 * (`-u-co-…`) or variants would choose another order than the locale's standard one, and it becomes part of an SQL
 * identifier (collationOf), so nothing else may pass.
 */
const SIMPLE_TAG = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$/;

/** The canonical spelling of a BCP 47 tag (`EN-us` → `en-US`), or undefined when it is not one this accepts. */
export function canonicalLocale(input: string): string | undefined {
  let canonical: string;
  try {
    [canonical] = Intl.getCanonicalLocales(input.trim());
  } catch {
    return undefined;
  }
  return canonical && SIMPLE_TAG.test(canonical) ? canonical : undefined;
}

function isRootOrdered(locale: string): boolean {
  return ROOT_ORDERED_LANGUAGES.has(locale.split('-')[0]) && !TAILORED_EXCEPTIONS.has(locale);
}

/** The SQL collation (a quoted identifier) names of `locale` are ordered in. `locale` must be canonical. */
export function collationOf(locale: string): string {
  return isRootOrdered(locale) ? ROOT_COLLATION : `"rollcall-${locale}"`;
}

/**
 * Whether PostgreSQL's ICU knows `locale` (canonical): its catalog lists the ICU locales PostgreSQL found when the
 * cluster was created (`sv-SE-x-icu`). The embedded database's ICU carries no locale data (every collation there is
 * root's), and lists none: there, a locale Node's ICU knows is accepted, and sorts as root.
 */
export async function isKnownLocale(ctx: RequestContext, locale: string): Promise<boolean> {
  const row = await sql.one<{ known: boolean; catalog: boolean }>(
    ctx,
    `SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i' AND collname = $1) AS known,
            EXISTS (SELECT 1 FROM pg_collation WHERE collprovider = 'i' AND collname NOT IN ('und-x-icu', 'unicode')) AS catalog`,
    [`${locale}-x-icu`],
  );
  if (row?.known) return true;
  return !row?.catalog && Intl.Collator.supportedLocalesOf([locale], { localeMatcher: 'lookup' }).length > 0;
}

/**
 * Creates the collation of `locale` when it has its own (collationOf), in the caller's transaction. Serialised by an
 * advisory lock: two tenants choosing the same new locale at once would otherwise both try to create it.
 */
export async function ensureCollation(ctx: RequestContext, locale: string): Promise<void> {
  if (isRootOrdered(locale)) return;
  await sql.rows(ctx, `SELECT pg_advisory_xact_lock(hashtext('rollcall collations'))`);
  // `locale` passed SIMPLE_TAG: letters, digits and hyphens only, safe inside the identifier and the literal.
  await sql.rows(ctx, `CREATE COLLATION IF NOT EXISTS ${collationOf(locale)} (provider = icu, locale = '${locale}')`, [], { prepare: false });
}

/** The collation of the caller's tenant (one read of its row by key). */
export async function tenantCollation(ctx: RequestContext): Promise<string> {
  const row = await sql.one<{ locale: string }>(ctx, 'SELECT locale FROM tenants WHERE id = $1', [ctx.tenantId]);
  return collationOf(canonicalLocale(row?.locale ?? DEFAULT_LOCALE) ?? DEFAULT_LOCALE);
}
