import { EntityManager } from 'typeorm';
import { SLUG_PATTERN } from '../config';
import { LoginAuthenticator, Role, Tenant } from '../entities';
import { AuditChanges } from '../entities/audit-event.entity';
import { SCIM_IMPORT_FIELDS, ScimImportField, USERNAME_FORMATS, UsernameFormat } from '../entities/enums';
import { Actor, RequestContext, inTransaction } from './context';
import { auditService } from './audit.service';
import { catalogService } from './catalog.service';
import { canonicalLocale, ensureCollation, isKnownLocale } from './collation';
import { DomainError, ErrorCode, IssueCollector, isUniqueViolation } from './errors';
import { isPhoneRegion } from './validation';
import { DEFAULT_ROLE_NAME, defaultRoleMissing, loadDefaults } from './tenant-defaults';

export { DEFAULT_ROLE_NAME, defaultRoleMissing };

/** Roles every new tenant starts with. "Agent" is the default role of IdP-created employees. */
export const SEEDED_ROLES = ['Agent', 'Supervisor', 'Administrator'] as const;
export const SEEDED_LOGIN_AUTHENTICATOR = 'Default';

export interface TenantSettings {
  scimImportFields: ScimImportField[];
  /** The explicitly chosen default role; null means the role named "Agent". */
  defaultRoleId: string | null;
  /** Days the SCIM provisioning log is kept. */
  provisioningLogRetentionDays: number;
  /** Days change-feed events are kept. */
  eventRetentionDays: number;
  /** What a username must be: a valid email address (EMAIL) or any text (ANY). */
  usernameFormat: UsernameFormat;
  /** ISO 3166-1 alpha-2 region for national phone numbers; null: numbers need their +country code. */
  defaultPhoneRegion: string | null;
  /** Lifetime of the OAuth access tokens issued to the tenant's clients (docs/oauth.md). */
  oauthAccessTokenLifetimeSeconds: number;
  /** BCP 47 locale whose ICU collation orders names in lists (collation.ts), e.g. en-US. */
  locale: string;
}

/** Bounds of `provisioningLogRetentionDays` and `eventRetentionDays`: at least a day, at most ten years. */
export const RETENTION_DAYS_MIN = 1;
export const RETENTION_DAYS_MAX = 3650;
/** Bounds of `oauthAccessTokenLifetimeSeconds`: Microsoft's gallery asks for 60 minutes to 6 hours; 5 minutes allowed for tighter set-ups. */
export const OAUTH_ACCESS_TOKEN_LIFETIME_MIN = 300;
export const OAUTH_ACCESS_TOKEN_LIFETIME_MAX = 21_600;

/** Changes to the settings; an omitted field stays as it is. */
export interface TenantSettingsChanges {
  scimImportFields?: readonly string[];
  /** null returns to the role named "Agent". */
  defaultRoleId?: string | null;
  provisioningLogRetentionDays?: number;
  eventRetentionDays?: number;
  usernameFormat?: string;
  /** null: no default region. */
  defaultPhoneRegion?: string | null;
  oauthAccessTokenLifetimeSeconds?: number;
  locale?: string;
}

export const tenantService = {
  /**
   * Creates a tenant with its seeded roles and login authenticator, in one transaction. Tenant creation has no
   * tenant context yet, so it takes the manager and the actor directly.
   */
  async create(manager: EntityManager, actor: Actor, input: { slug: string; name?: string }): Promise<Tenant> {
    const slug = input.slug.trim();
    if (!SLUG_PATTERN.test(slug)) {
      throw new DomainError(
        ErrorCode.INVALID_VALUE,
        `"${slug}" is not a valid tenant slug: use lower-case letters, digits and inner hyphens (at most 63 characters).`,
        'slug',
      );
    }
    try {
      return await manager.transaction(async (tx) => {
        const tenant = await tx.save(tx.create(Tenant, { slug, name: input.name?.trim() || slug, scimImportFields: [] }));
        await tx.insert(
          Role,
          SEEDED_ROLES.map((name) => ({ tenantId: tenant.id, name })),
        );
        await tx.insert(LoginAuthenticator, { tenantId: tenant.id, name: SEEDED_LOGIN_AUTHENTICATOR, isDefault: true });
        const ctx: RequestContext = { tenantId: tenant.id, actor, requestId: 'tenant-create', manager: tx };
        await auditService.record(ctx, {
          action: 'tenant.created',
          targetType: 'tenant',
          targetId: tenant.id,
          changes: { slug: { from: null, to: slug } },
        });
        return tenant;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(ErrorCode.UNIQUENESS, `A tenant with slug "${slug}" already exists.`, 'slug');
      }
      throw error;
    }
  },

  async findBySlug(manager: EntityManager, slug: string): Promise<Tenant | null> {
    return manager.findOneBy(Tenant, { slug });
  },

  async count(manager: EntityManager): Promise<number> {
    return manager.count(Tenant);
  },

  async get(ctx: RequestContext): Promise<Tenant> {
    const tenant = await ctx.manager.findOneBy(Tenant, { id: ctx.tenantId });
    if (!tenant) throw new DomainError(ErrorCode.NOT_FOUND, 'The tenant no longer exists.');
    return tenant;
  },

  async settings(ctx: RequestContext): Promise<TenantSettings> {
    return settingsOf(await this.get(ctx));
  },

  /**
   * Changes the tenant's settings after checking every value (all problems reported together, nothing written on
   * any), with a `tenant.settings_updated` audit row of what changed in the same transaction. Import fields are
   * stored once each, in the order of SCIM_IMPORT_FIELDS.
   */
  async updateSettings(ctx: RequestContext, changes: TenantSettingsChanges): Promise<TenantSettings> {
    return inTransaction(ctx, async (tx) => {
      const tenant = await tx.manager.findOne(Tenant, { where: { id: tx.tenantId }, lock: { mode: 'pessimistic_write' } });
      if (!tenant) throw new DomainError(ErrorCode.NOT_FOUND, 'The tenant no longer exists.');
      const issues = new IssueCollector();
      const next = settingsOf(tenant);

      if (changes.scimImportFields !== undefined) {
        const requested = new Set(changes.scimImportFields);
        const unknown = [...requested].filter((f) => !(SCIM_IMPORT_FIELDS as readonly string[]).includes(f));
        if (unknown.length > 0) {
          issues.add(
            ErrorCode.INVALID_VALUE,
            `Unknown SCIM import field(s) ${unknown.map((f) => `"${f}"`).join(', ')}; use ${SCIM_IMPORT_FIELDS.join(', ')}.`,
            'scimImportFields',
          );
        } else {
          next.scimImportFields = SCIM_IMPORT_FIELDS.filter((f) => requested.has(f));
        }
      }
      if (changes.defaultRoleId !== undefined) {
        if (changes.defaultRoleId !== null && !(await catalogService.exists(tx, 'role', changes.defaultRoleId))) {
          issues.add(ErrorCode.INVALID_VALUE, 'defaultRoleId is not the id of a role in this tenant.', 'defaultRoleId');
        } else {
          next.defaultRoleId = changes.defaultRoleId;
        }
      }
      for (const field of ['provisioningLogRetentionDays', 'eventRetentionDays'] as const) {
        const days = changes[field];
        if (days === undefined) continue;
        if (!Number.isInteger(days) || days < RETENTION_DAYS_MIN || days > RETENTION_DAYS_MAX) {
          issues.add(ErrorCode.INVALID_VALUE, `${field} must be a whole number from ${RETENTION_DAYS_MIN} to ${RETENTION_DAYS_MAX}.`, field);
        } else {
          next[field] = days;
        }
      }
      const lifetime = changes.oauthAccessTokenLifetimeSeconds;
      if (lifetime !== undefined) {
        if (!Number.isInteger(lifetime) || lifetime < OAUTH_ACCESS_TOKEN_LIFETIME_MIN || lifetime > OAUTH_ACCESS_TOKEN_LIFETIME_MAX) {
          issues.add(
            ErrorCode.INVALID_VALUE,
            `oauthAccessTokenLifetimeSeconds must be a whole number from ${OAUTH_ACCESS_TOKEN_LIFETIME_MIN} to ${OAUTH_ACCESS_TOKEN_LIFETIME_MAX}.`,
            'oauthAccessTokenLifetimeSeconds',
          );
        } else {
          next.oauthAccessTokenLifetimeSeconds = lifetime;
        }
      }
      if (changes.usernameFormat !== undefined) {
        if (!(USERNAME_FORMATS as readonly string[]).includes(changes.usernameFormat)) {
          issues.add(ErrorCode.INVALID_VALUE, `usernameFormat must be one of ${USERNAME_FORMATS.join(', ')}.`, 'usernameFormat');
        } else {
          // Applies to later writes only: stored usernames stay valid whatever the format becomes.
          next.usernameFormat = changes.usernameFormat as UsernameFormat;
        }
      }
      if (changes.defaultPhoneRegion !== undefined) {
        const region = changes.defaultPhoneRegion === null ? null : changes.defaultPhoneRegion.trim().toUpperCase();
        if (region !== null && !isPhoneRegion(region)) {
          issues.add(
            ErrorCode.INVALID_VALUE,
            `defaultPhoneRegion must be an ISO 3166-1 alpha-2 country code such as US, GB or DE, got "${changes.defaultPhoneRegion}".`,
            'defaultPhoneRegion',
          );
        } else {
          next.defaultPhoneRegion = region;
        }
      }
      if (changes.locale !== undefined) {
        const locale = canonicalLocale(changes.locale);
        if (locale === undefined || !(await isKnownLocale(tx, locale))) {
          issues.add(
            ErrorCode.INVALID_VALUE,
            `locale must be a BCP 47 language tag PostgreSQL's ICU knows, such as en-US, fr-FR or sv-SE (language, optional script and region), got "${changes.locale}".`,
            'locale',
          );
        } else {
          next.locale = locale;
        }
      }
      issues.throwIfAny();

      const audit: AuditChanges = {};
      if (next.scimImportFields.join(',') !== tenant.scimImportFields.join(',')) {
        audit.scimImportFields = { from: tenant.scimImportFields, to: next.scimImportFields };
      }
      if (next.defaultRoleId !== tenant.defaultRoleId) {
        audit.defaultRoleId = { from: tenant.defaultRoleId, to: next.defaultRoleId };
      }
      for (const field of ['provisioningLogRetentionDays', 'eventRetentionDays', 'usernameFormat', 'defaultPhoneRegion', 'oauthAccessTokenLifetimeSeconds', 'locale'] as const) {
        if (next[field] !== tenant[field]) audit[field] = { from: tenant[field], to: next[field] };
      }
      if (Object.keys(audit).length === 0) return next;
      if (audit.locale) await ensureCollation(tx, next.locale);
      await tx.manager.update(Tenant, { id: tenant.id }, next);
      await auditService.record(tx, {
        action: 'tenant.settings_updated',
        targetType: 'tenant',
        targetId: tenant.id,
        changes: audit,
      });
      return next;
    });
  },

  /** The role IdP-created employees get now (the chosen one, else "Agent"), or null when it does not exist. */
  async effectiveDefaultRoleId(ctx: RequestContext): Promise<string | null> {
    try {
      return await this.defaultRoleId(ctx);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.DEFAULT_ROLE_MISSING) return null;
      throw error;
    }
  },

  /**
   * The role IdP-created employees get. Refused with DEFAULT_ROLE_MISSING when it does not exist, with a message the
   * IdP admin can act on (it reaches them as the SCIM error `detail`).
   */
  async defaultRoleId(ctx: RequestContext): Promise<string> {
    const defaults = await loadDefaults(ctx);
    if (defaults.defaultRoleId) return defaults.defaultRoleId;
    throw defaultRoleMissing(defaults.chosenDefaultRoleId);
  },
};

function settingsOf(tenant: Tenant): TenantSettings {
  return {
    scimImportFields: tenant.scimImportFields,
    defaultRoleId: tenant.defaultRoleId,
    provisioningLogRetentionDays: tenant.provisioningLogRetentionDays,
    eventRetentionDays: tenant.eventRetentionDays,
    usernameFormat: tenant.usernameFormat,
    defaultPhoneRegion: tenant.defaultPhoneRegion,
    oauthAccessTokenLifetimeSeconds: tenant.oauthAccessTokenLifetimeSeconds,
    locale: tenant.locale,
  };
}
