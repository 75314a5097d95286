import { EmployeeTemplate, LoginAuthenticator, Role, Team } from '../entities';
import { RequestContext, inTransaction } from './context';
import { DomainError, ErrorCode, IssueCollector } from './errors';
import { mapRow } from './rows';
import * as sql from './sql';
import { DEFAULT_ROLE_NAME, isDefaultRole } from './tenant-defaults';

import {
  CATALOGS,
  CatalogKind,
  CatalogListOptions,
  CatalogPage,
  CatalogRow,
  DescribedChanges,
  EmployeeTemplateChanges,
  LoginAuthenticatorChanges,
  SORT_KEYS,
} from './catalog/kinds';
import { checkName, checkNameFree, checkTemplatePresets } from './catalog/rules';
import {
  byIds,
  clearOtherDefaults,
  createDescribed,
  deleteRow,
  insertRow,
  lockDefaultAuthenticator,
  lockRow,
  renamingTransaction,
  updateDescribed,
  updateRow,
} from './catalog/rows';
import { exists, idByName } from './catalog/lookups';

export * from './catalog/kinds';

export const catalogService = {
  /** The id of the row of this kind named `name` (case-insensitively) in the caller's tenant, or null. */
  async idByName(ctx: RequestContext, kind: CatalogKind, name: string): Promise<string | null> {
    return idByName(ctx, kind, name);
  },

  /** Whether a row of this kind with this id exists in the caller's tenant. */
  async exists(ctx: RequestContext, kind: CatalogKind, id: string): Promise<boolean> {
    return exists(ctx, kind, id);
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

  /**
   * A page of the tenant's rows of one kind, ordered by the sort key then id (keyset: `after` is the last row of the
   * previous page, so deep pages cost the same as the first), with the exact total.
   */
  async list<K extends CatalogKind>(ctx: RequestContext, kind: K, options: CatalogListOptions): Promise<CatalogPage<CatalogRow<K>>> {
    const { table, entity } = CATALOGS[kind];
    const sort = SORT_KEYS[options.sortBy];
    const direction = options.descending ? 'DESC' : 'ASC';
    const params: unknown[] = [ctx.tenantId];
    let keyset = '';
    if (options.after) {
      params.push(options.after.key, options.after.id);
      keyset = ` AND (${sort.column}, id) ${options.descending ? '<' : '>'} ($2${sort.cast}, $3::uuid)`;
    }
    params.push(options.first + 1);
    const [counted, rows] = await Promise.all([
      sql.rows<{ n: number }>(ctx, `SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [ctx.tenantId]),
      sql.rows(
        ctx,
        `SELECT *, ${sort.key} AS _sort_key FROM ${table} WHERE tenant_id = $1${keyset}
          ORDER BY ${sort.column} ${direction}, id ${direction} LIMIT $${params.length}`,
        params,
      ),
    ]);
    return {
      items: rows.slice(0, options.first).map((raw) => ({
        row: mapRow(ctx.manager, entity, raw) as CatalogRow<K>,
        sortKey: String(raw._sort_key),
      })),
      totalCount: counted[0].n,
      hasNextPage: rows.length > options.first,
    };
  },

  async createRole(ctx: RequestContext, input: DescribedChanges & { name: string }): Promise<Role> {
    return createDescribed(ctx, 'role', input);
  },

  /** Renaming the role that is the default only by its name ("Agent") is refused: IdP creates would lose it. */
  async updateRole(ctx: RequestContext, id: string, changes: DescribedChanges): Promise<Role> {
    return updateDescribed(ctx, 'role', id, changes, async (tx, current, issues, name) => {
      if (name === undefined) return;
      // A change of case keeps the name, and so the default.
      const [{ refused }] = await sql.rows<{ refused: boolean }>(
        tx,
        `SELECT (default_role_id IS NULL AND $2::citext = $3::citext AND $4::citext <> $3::citext) AS refused
           FROM tenants WHERE id = $1 FOR SHARE`,
        [tx.tenantId, current.name, DEFAULT_ROLE_NAME, name],
      );
      if (refused) {
        issues.add(
          ErrorCode.INVALID_VALUE,
          `"${current.name}" is the default role for IdP-created employees because of its name; renaming it would leave ` +
            'them without one. Choose it (or another role) as the default role in the tenant settings first.',
          'name',
        );
      }
    });
  },

  /** Refused while employees or templates hold the role, and for the tenant's default role. */
  async deleteRole(ctx: RequestContext, id: string): Promise<Role> {
    return deleteRow(ctx, 'role', id, async (tx, role) => {
      // FOR SHARE: a concurrent change of the default role waits for this delete (and then finds the role gone).
      const [{ is_default: isDefault }] = await sql.rows<{ is_default: boolean }>(
        tx,
        `SELECT ${isDefaultRole({ tenants: 't', roleId: '$4::uuid', roleName: '$2::citext', defaultName: '$3' })} AS is_default
           FROM tenants t WHERE t.id = $1 FOR SHARE`,
        [tx.tenantId, role.name, DEFAULT_ROLE_NAME, role.id],
      );
      if (isDefault) {
        throw new DomainError(
          ErrorCode.IN_USE,
          `The role "${role.name}" cannot be deleted: it is the default role for IdP-created employees; choose another default first.`,
          'id',
        );
      }
    });
  },

  async createTeam(ctx: RequestContext, input: DescribedChanges & { name: string }): Promise<Team> {
    return createDescribed(ctx, 'team', input);
  },

  async updateTeam(ctx: RequestContext, id: string, changes: DescribedChanges): Promise<Team> {
    return updateDescribed(ctx, 'team', id, changes);
  },

  async deleteTeam(ctx: RequestContext, id: string): Promise<Team> {
    return deleteRow(ctx, 'team', id);
  },

  /** With `isDefault`, the new authenticator replaces the previous default in the same transaction. */
  async createLoginAuthenticator(ctx: RequestContext, input: LoginAuthenticatorChanges & { name: string }): Promise<LoginAuthenticator> {
    return inTransaction(ctx, async (tx) => {
      const issues = new IssueCollector();
      const name = checkName(issues, input.name, true);
      if (input.isDefault !== undefined && typeof input.isDefault !== 'boolean') {
        issues.add(ErrorCode.INVALID_VALUE, 'isDefault must be true or false.', 'isDefault');
      }
      if (input.isDefault) await lockDefaultAuthenticator(tx);
      await checkNameFree(tx, 'loginAuthenticator', name, null, issues);
      issues.throwIfAny();
      const created = await insertRow(tx, 'loginAuthenticator', { name: name!, isDefault: input.isDefault ?? false });
      if (created.isDefault) await clearOtherDefaults(tx, created.id);
      return created;
    });
  },

  /**
   * `isDefault: true` moves the default here. `isDefault: false` on the default is refused: new employees would lose
   * their authenticator; make another one the default instead.
   */
  async updateLoginAuthenticator(ctx: RequestContext, id: string, changes: LoginAuthenticatorChanges): Promise<LoginAuthenticator> {
    return renamingTransaction(ctx, async (tx) => {
      if (changes.isDefault === true) await lockDefaultAuthenticator(tx);
      const current = await lockRow(tx, 'loginAuthenticator', id);
      const issues = new IssueCollector();
      const name = checkName(issues, changes.name, false);
      if (changes.isDefault !== undefined && typeof changes.isDefault !== 'boolean') {
        issues.add(ErrorCode.INVALID_VALUE, 'isDefault must be true or false.', 'isDefault');
      } else if (changes.isDefault === false && current.isDefault) {
        issues.add(
          ErrorCode.INVALID_VALUE,
          `"${current.name}" is the default login authenticator; make another one the default instead (that clears this one).`,
          'isDefault',
        );
      }
      await checkNameFree(tx, 'loginAuthenticator', name, current.id, issues);
      issues.throwIfAny();
      const updated = await updateRow(tx, 'loginAuthenticator', current, { name, isDefault: changes.isDefault });
      if (updated.isDefault && !current.isDefault) await clearOtherDefaults(tx, updated.id);
      return updated;
    });
  },

  /** Refused while employees or templates use it, and for the default authenticator. */
  async deleteLoginAuthenticator(ctx: RequestContext, id: string): Promise<LoginAuthenticator> {
    return deleteRow(ctx, 'loginAuthenticator', id, async (_tx, authenticator) => {
      if (authenticator.isDefault) {
        throw new DomainError(
          ErrorCode.IN_USE,
          `The login authenticator "${authenticator.name}" cannot be deleted: it is the default for new employees; ` +
            'make another one the default first.',
          'id',
        );
      }
    });
  },

  async createEmployeeTemplate(ctx: RequestContext, input: EmployeeTemplateChanges & { name: string }): Promise<EmployeeTemplate> {
    return inTransaction(ctx, async (tx) => {
      const issues = new IssueCollector();
      const name = checkName(issues, input.name, true);
      const presets = await checkTemplatePresets(tx, input, issues);
      await checkNameFree(tx, 'employeeTemplate', name, null, issues);
      issues.throwIfAny();
      return insertRow(tx, 'employeeTemplate', {
        name: name!,
        primaryRoleId: presets.primaryRoleId ?? null,
        teamId: presets.teamId ?? null,
        timeZone: presets.timeZone ?? null,
        type: presets.type ?? null,
        loginAuthenticatorId: presets.loginAuthenticatorId ?? null,
      });
    });
  },

  async updateEmployeeTemplate(ctx: RequestContext, id: string, changes: EmployeeTemplateChanges): Promise<EmployeeTemplate> {
    return inTransaction(ctx, async (tx) => {
      const current = await lockRow(tx, 'employeeTemplate', id);
      const issues = new IssueCollector();
      const name = checkName(issues, changes.name, false);
      const presets = await checkTemplatePresets(tx, changes, issues);
      await checkNameFree(tx, 'employeeTemplate', name, current.id, issues);
      issues.throwIfAny();
      return updateRow(tx, 'employeeTemplate', current, { ...presets, name });
    });
  },

  /** Nothing refers to a template (SCIM names it only when creating an employee), so it can always go. */
  async deleteEmployeeTemplate(ctx: RequestContext, id: string): Promise<EmployeeTemplate> {
    return deleteRow(ctx, 'employeeTemplate', id);
  },
};

