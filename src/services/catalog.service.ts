import { EmployeeTemplate, LoginAuthenticator, Role, Team } from '../entities';
import { RequestContext } from './context';
import { isUuid } from './validation';

/** The tenant's named things an employee refers to. */
export const CATALOGS = {
  role: { entity: Role, table: 'roles', label: 'role' },
  team: { entity: Team, table: 'teams', label: 'team' },
  loginAuthenticator: { entity: LoginAuthenticator, table: 'login_authenticators', label: 'login authenticator' },
  employeeTemplate: { entity: EmployeeTemplate, table: 'employee_templates', label: 'employee template' },
} as const;
export type CatalogKind = keyof typeof CATALOGS;

export const catalogService = {
  /** The id of the row of this kind named `name` (case-insensitively) in the caller's tenant, or null. */
  async idByName(ctx: RequestContext, kind: CatalogKind, name: string): Promise<string | null> {
    const rows: { id: string }[] = await ctx.manager.query(
      `SELECT id FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND name = $2::citext`,
      [ctx.tenantId, name],
    );
    return rows[0]?.id ?? null;
  },

  /** Whether a row of this kind with this id exists in the caller's tenant. */
  async exists(ctx: RequestContext, kind: CatalogKind, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows: unknown[] = await ctx.manager.query(
      `SELECT 1 FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND id = $2`,
      [ctx.tenantId, id],
    );
    return rows.length > 0;
  },

  async template(ctx: RequestContext, id: string): Promise<EmployeeTemplate | null> {
    return ctx.manager.findOneBy(EmployeeTemplate, { tenantId: ctx.tenantId, id });
  },

  async rolesByIds(ctx: RequestContext, ids: readonly string[]): Promise<Role[]> {
    return byIds(ctx, Role, ids);
  },
  async teamsByIds(ctx: RequestContext, ids: readonly string[]): Promise<Team[]> {
    return byIds(ctx, Team, ids);
  },
  async loginAuthenticatorsByIds(ctx: RequestContext, ids: readonly string[]): Promise<LoginAuthenticator[]> {
    return byIds(ctx, LoginAuthenticator, ids);
  },
};

async function byIds<T extends Role | Team | LoginAuthenticator>(
  ctx: RequestContext,
  entity: new () => T,
  ids: readonly string[],
): Promise<T[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return ctx.manager
    .createQueryBuilder(entity, 'x')
    .where('x.tenant_id = :tenantId AND x.id = ANY(:ids)', { tenantId: ctx.tenantId, ids: valid })
    .getMany();
}
