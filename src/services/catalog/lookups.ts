// Part of the catalog service (src/services/catalog.service.ts is its facade).
import { Coalesced } from '../coalesce';
import { RequestContext } from '../context';
import * as sql from '../sql';
import { isUuid } from '../validation';
import { CATALOGS, CatalogKind } from './kinds';

/**
 * Catalog reads of SCIM writes that name a role, team or authenticator (an Okta import that maps `team` names one in
 * every create): concurrent requests of one tenant share one statement per kind (see Coalesced), instead of one
 * round trip each. Names compare case-insensitively, as the unique index does: PostgreSQL pairs each name with its row.
 */
export const idsByName = Object.fromEntries(
  (Object.keys(CATALOGS) as CatalogKind[]).map((kind) => [
    kind,
    new Coalesced<string, string>(async (ctx, names) => {
      const rows = await sql.rows(
        ctx,
        `SELECT k.key AS _key, c.id FROM unnest($2::text[]) AS k(key) JOIN ${CATALOGS[kind].table} c ON c.tenant_id = $1 AND c.name = k.key::citext`,
        [ctx.tenantId, names],
      );
      return new Map(rows.map((raw) => [String(raw._key), String(raw.id)]));
    }),
  ]),
) as Record<CatalogKind, Coalesced<string, string>>;

export const existing = Object.fromEntries(
  (Object.keys(CATALOGS) as CatalogKind[]).map((kind) => [
    kind,
    new Coalesced<string, true>(async (ctx, ids) => {
      const rows = await sql.rows(ctx, `SELECT id FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [ctx.tenantId, ids]);
      return new Map(rows.map((raw) => [String(raw.id), true as const]));
    }, (id) => id.toLowerCase()),
  ]),
) as Record<CatalogKind, Coalesced<string, true>>;

/** The id of the row of this kind named `name` (case-insensitively) in the caller's tenant, or null. */
export async function idByName(ctx: RequestContext, kind: CatalogKind, name: string): Promise<string | null> {
  return (await idsByName[kind].get(ctx, name)) ?? null;
}

/** Whether a row of this kind with this id exists in the caller's tenant. */
export async function exists(ctx: RequestContext, kind: CatalogKind, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await existing[kind].get(ctx, id)) === true;
}
