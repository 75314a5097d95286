import { EntityManager } from 'typeorm';
import { SLUG_PATTERN } from '../config';
import { LoginAuthenticator, Role, Tenant } from '../entities';
import { ScimImportField } from '../entities/enums';
import { Actor, RequestContext } from './context';
import { auditService } from './audit.service';
import { DomainError, ErrorCode, isUniqueViolation } from './errors';

/** Roles every new tenant starts with. "Agent" is the default role of IdP-created employees. */
export const SEEDED_ROLES = ['Agent', 'Supervisor', 'Administrator'] as const;
export const DEFAULT_ROLE_NAME = 'Agent';
export const SEEDED_LOGIN_AUTHENTICATOR = 'Default';

export interface TenantSettings {
  scimImportFields: ScimImportField[];
  /** The explicitly chosen default role; null means the role named "Agent". */
  defaultRoleId: string | null;
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
    const tenant = await this.get(ctx);
    return { scimImportFields: tenant.scimImportFields, defaultRoleId: tenant.defaultRoleId };
  },

  /**
   * The role IdP-created employees get. Refused with DEFAULT_ROLE_MISSING when it does not exist, with a message the
   * IdP admin can act on (it reaches them as the SCIM error `detail`).
   */
  async defaultRoleId(ctx: RequestContext): Promise<string> {
    const rows: { id: string | null; chosen: string | null }[] = await ctx.manager.query(
      `SELECT r.id, t.default_role_id AS chosen
         FROM tenants t
         LEFT JOIN roles r ON r.tenant_id = t.id
              AND (CASE WHEN t.default_role_id IS NULL THEN r.name = $2::citext ELSE r.id = t.default_role_id END)
        WHERE t.id = $1`,
      [ctx.tenantId, DEFAULT_ROLE_NAME],
    );
    const id = rows[0]?.id;
    if (id) return id;
    const chosen = rows[0]?.chosen;
    throw new DomainError(
      ErrorCode.DEFAULT_ROLE_MISSING,
      chosen
        ? `The tenant's default role (id ${chosen}) no longer exists. In Rollcall, choose another default role in the ` +
            'tenant settings, or send a primary role in the Rollcall extension, then retry.'
        : `The tenant's default role "${DEFAULT_ROLE_NAME}" does not exist. In Rollcall, create a role named ` +
            `"${DEFAULT_ROLE_NAME}" or choose another default role in the tenant settings, then retry.`,
      'primaryRoleId',
    );
  },
};
