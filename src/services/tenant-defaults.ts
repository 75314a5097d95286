import { ScimImportField, UsernameFormat } from '../entities/enums';
import { RequestContext } from './context';
import { DomainError, ErrorCode } from './errors';
import * as sql from './sql';

/** The role IdP-created employees get when the tenant chose none (a new tenant has it; see SEEDED_ROLES). */
export const DEFAULT_ROLE_NAME = 'Agent';

/** How often a create is recomputed when the tenant's defaults changed under it before giving up. */
const STALE_DEFAULTS_ATTEMPTS = 5;


/** What creating an employee needs from its tenant, read in one statement. */
export interface TenantDefaults {
  scimImportFields: ScimImportField[];
  /** What a username must be (EMAIL or ANY). */
  usernameFormat: UsernameFormat;
  /** Region for national phone numbers (only GraphQL's stricter check uses it; E.164 is derived when read). */
  defaultPhoneRegion: string | null;
  /** The role new employees get when none is given; null when it does not exist. */
  defaultRoleId: string | null;
  /** The explicitly chosen default role (null: the role named "Agent"), for the error message. */
  chosenDefaultRoleId: string | null;
  defaultLoginAuthenticatorId: string | null;
}

/**
 * The tenant's defaults as columns of one row, for the tenant in parameter `tenant` (with `roleName` the default
 * role's name). Read on its own, joined to the employee read of a SCIM PUT or PATCH, and re-checked by every INSERT.
 */
export function defaultsSelect(tenant: string, roleName: string): string {
  // The default role by one of its two keys, each a condition the index takes: as one CASE (isDefaultRole), PostgreSQL
  // could only read the tenant's roles and test each (test/query-plans.test.ts).
  return `SELECT t.scim_import_fields AS _scim_import_fields, t.username_format::text AS _username_format,
    t.default_phone_region::text AS _phone_region, t.default_role_id AS _chosen_default_role,
    COALESCE((SELECT r.id FROM roles r WHERE r.tenant_id = t.id AND r.id = t.default_role_id),
      (SELECT r.id FROM roles r WHERE t.default_role_id IS NULL AND r.tenant_id = t.id AND r.name = ${roleName}::citext)) AS _default_role,
    (SELECT a.id FROM login_authenticators a WHERE a.tenant_id = t.id AND a.is_default LIMIT 1) AS _default_authenticator
  FROM tenants t WHERE t.id = ${tenant}`;
}

/**
 * SQL that is true when a role is the tenant's default role: the chosen one, else the one named DEFAULT_ROLE_NAME
 * (`defaultName`, a parameter). `tenants` is the alias of the tenant's row; the other arguments are SQL expressions.
 */
export function isDefaultRole(sqlOf: { tenants: string; roleId: string; roleName: string; defaultName: string }): string {
  const { tenants, roleId, roleName, defaultName } = sqlOf;
  return `(CASE WHEN ${tenants}.default_role_id IS NULL THEN ${roleName} = ${defaultName}::citext ELSE ${roleId} = ${tenants}.default_role_id END)`;
}

export function toDefaults(raw: Record<string, unknown>): TenantDefaults {
  return {
    scimImportFields: raw._scim_import_fields as ScimImportField[],
    usernameFormat: raw._username_format as UsernameFormat,
    defaultPhoneRegion: (raw._phone_region as string | null) ?? null,
    defaultRoleId: (raw._default_role as string | null) ?? null,
    chosenDefaultRoleId: (raw._chosen_default_role as string | null) ?? null,
    defaultLoginAuthenticatorId: (raw._default_authenticator as string | null) ?? null,
  };
}

export async function loadDefaults(ctx: RequestContext): Promise<TenantDefaults> {
  const rows = await sql.rows(ctx, defaultsSelect('$1', '$2'), [ctx.tenantId, DEFAULT_ROLE_NAME]);
  if (!rows[0]) throw new DomainError(ErrorCode.NOT_FOUND, 'The tenant no longer exists.');
  const defaults = toDefaults(rows[0]);
  rememberDefaults(ctx.tenantId, defaults);
  return defaults;
}

/**
 * The tenant defaults each tenant's last create saw. Never trusted blindly: the INSERT writes only if they are still
 * the tenant's current defaults, and otherwise answers with the current ones (StaleDefaults), so a create costs one
 * statement and a settings change made anywhere (another instance, SQL) is still honoured by the next create.
 */
export const knownDefaults = new Map<string, TenantDefaults>();
const MAX_KNOWN_DEFAULTS = 10_000;

export function rememberDefaults(tenantId: string, defaults: TenantDefaults): void {
  knownDefaults.delete(tenantId);
  knownDefaults.set(tenantId, defaults);
  if (knownDefaults.size > MAX_KNOWN_DEFAULTS) knownDefaults.delete(knownDefaults.keys().next().value!);
}

export class StaleDefaults extends Error {
  constructor(readonly current: TenantDefaults) {
    super('The tenant defaults changed');
  }
}

/** Runs a create with the tenant's defaults, recomputing it when the INSERT found them changed. */
export async function withTenantDefaults<T>(ctx: RequestContext, create: (defaults: TenantDefaults) => Promise<T>): Promise<T> {
  let defaults = knownDefaults.get(ctx.tenantId);
  let fresh = false;
  if (!defaults) {
    defaults = await loadDefaults(ctx);
    fresh = true;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(defaults);
    } catch (error) {
      // Remembered settings may be out of date (a default role created since, a username format changed): check
      // them before refusing the create.
      if (error instanceof DomainError && !fresh) {
        defaults = await loadDefaults(ctx);
      } else if (error instanceof StaleDefaults && attempt < STALE_DEFAULTS_ATTEMPTS) {
        defaults = error.current;
        rememberDefaults(ctx.tenantId, defaults);
      } else {
        throw error;
      }
      fresh = true;
    }
  }
}

/** DEFAULT_ROLE_MISSING, worded for the IdP admin who sees it as the SCIM error `detail`. */
export function defaultRoleMissing(chosenRoleId: string | null): DomainError {
  return new DomainError(
    ErrorCode.DEFAULT_ROLE_MISSING,
    chosenRoleId
      ? `The tenant's default role (id ${chosenRoleId}) no longer exists. In Rollcall, choose another default role in the ` +
          'tenant settings, or send a primary role in the Rollcall extension, then retry.'
      : `The tenant's default role "${DEFAULT_ROLE_NAME}" does not exist. In Rollcall, create a role named ` +
          `"${DEFAULT_ROLE_NAME}" or choose another default role in the tenant settings, then retry.`,
    'primaryRoleId',
  );
}
