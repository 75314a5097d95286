import { EmployeeTemplate, LoginAuthenticator, Role, Team } from '../entities';
import { auditService, diff } from './audit.service';
import { Coalesced } from './coalesce';
import { RequestContext, inTransaction } from './context';
import { employeeListGenerations } from './continuation-cache';
import { DomainError, ErrorCode, IssueCollector, isForeignKeyViolation, isUniqueViolation } from './errors';
import { KEYSET_TIME } from './keyset';
import { mapRow } from './rows';
import * as sql from './sql';
import { DEFAULT_ROLE_NAME } from './tenant-defaults';
import { MAX_TEXT_LENGTH, canonicalTimeZone, describeTextProblem, isUuid, textProblem, timeZoneProblem } from './validation';

/** The tenant's named things an employee refers to. */
export const CATALOGS = {
  role: { entity: Role, table: 'roles', label: 'role' },
  team: { entity: Team, table: 'teams', label: 'team' },
  loginAuthenticator: { entity: LoginAuthenticator, table: 'login_authenticators', label: 'login authenticator' },
  employeeTemplate: { entity: EmployeeTemplate, table: 'employee_templates', label: 'employee template' },
} as const;
export type CatalogKind = keyof typeof CATALOGS;

/**
 * Catalog reads of SCIM writes that name a role, team or authenticator (an Okta import that maps `team` names one in
 * every create): concurrent requests of one tenant share one statement per kind (see Coalesced), instead of one
 * round trip each. Names compare case-insensitively, as the unique index does: PostgreSQL pairs each name with its row.
 */
const idsByName = Object.fromEntries(
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

const existing = Object.fromEntries(
  (Object.keys(CATALOGS) as CatalogKind[]).map((kind) => [
    kind,
    new Coalesced<string, true>(async (ctx, ids) => {
      const rows = await sql.rows(ctx, `SELECT id FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [ctx.tenantId, ids]);
      return new Map(rows.map((raw) => [String(raw.id), true as const]));
    }, (id) => id.toLowerCase()),
  ]),
) as Record<CatalogKind, Coalesced<string, true>>;

export const catalogService = {
  /** The id of the row of this kind named `name` (case-insensitively) in the caller's tenant, or null. */
  async idByName(ctx: RequestContext, kind: CatalogKind, name: string): Promise<string | null> {
    return (await idsByName[kind].get(ctx, name)) ?? null;
  },

  /** Whether a row of this kind with this id exists in the caller's tenant. */
  async exists(ctx: RequestContext, kind: CatalogKind, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await existing[kind].get(ctx, id)) === true;
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
        `SELECT CASE WHEN default_role_id IS NULL THEN $2::citext = $3::citext ELSE default_role_id = $4 END AS is_default
           FROM tenants WHERE id = $1 FOR SHARE`,
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

async function byIds<T extends Role | Team | LoginAuthenticator>(
  ctx: RequestContext,
  entity: new () => T,
  ids: readonly string[],
): Promise<T[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  // Every GraphQL page of employees loads its roles and teams here: one plain statement, no ORM hydration.
  const table = ctx.manager.connection.getMetadata(entity).tableName;
  const rows = await sql.rows(ctx, `SELECT * FROM ${table} WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [ctx.tenantId, valid]);
  return rows.map((row) => mapRow(ctx.manager, entity, row));
}

// ---------------------------------------------------------------------------------------------------------------
// Listing and changing the catalog (roles, teams, login authenticators, employee templates).

/** Longest name of a role, team, login authenticator or template: they are picked from lists, so they stay short. */
export const MAX_CATALOG_NAME_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 1000;

export type CatalogRow<K extends CatalogKind> = InstanceType<(typeof CATALOGS)[K]['entity']>;

/** `target_type` of audit rows, and the prefix of their actions (`role.created`, ...). */
const AUDIT_TARGET: Record<CatalogKind, string> = {
  role: 'role',
  team: 'team',
  loginAuthenticator: 'login_authenticator',
  employeeTemplate: 'employee_template',
};

/** The employee and template column that refers to each kind (templates are referred to by nothing). */
const REFERENCE_COLUMN: Record<CatalogKind, string | null> = {
  role: 'primary_role_id',
  team: 'team_id',
  loginAuthenticator: 'login_authenticator_id',
  employeeTemplate: null,
};

export type CatalogSortField = 'name' | 'createdAt';

/**
 * The column each sort uses, the lossless text of its value for cursors, and the cast back. Timestamps are
 * `microseconds` cursors (keyset.ts).
 */
const SORT_KEYS = {
  name: { column: 'name', key: 'name::text', cast: '::citext' },
  createdAt: { column: 'created_at', key: KEYSET_TIME.text('created_at'), cast: KEYSET_TIME.cast },
} as const satisfies Record<CatalogSortField, { column: string; key: string; cast: string }>;

export interface CatalogListOptions {
  first: number;
  /** The sort key and id of the last row of the previous page. */
  after?: { key: string; id: string } | null;
  sortBy: CatalogSortField;
  descending: boolean;
}

export interface CatalogPage<T> {
  /** Each row with its sort key, to hand back as `after`. */
  items: { row: T; sortKey: string }[];
  totalCount: number;
  hasNextPage: boolean;
}

/** `name: null` is refused (REQUIRED): GraphQL clients can send it, and a name cannot be cleared. */
export interface DescribedChanges {
  name?: string | null;
  /** null (or blank) clears it. */
  description?: string | null;
}

export interface LoginAuthenticatorChanges {
  name?: string | null;
  /** true makes it the tenant's default (the previous default stops being one). */
  isDefault?: boolean;
}

/** Template presets; null clears one. Related ids are uuids of the caller's tenant. */
export interface EmployeeTemplateChanges {
  name?: string | null;
  primaryRoleId?: string | null;
  teamId?: string | null;
  timeZone?: string | null;
  type?: string | null;
  loginAuthenticatorId?: string | null;
}

const AUDITED = {
  role: ['name', 'description'],
  team: ['name', 'description'],
  loginAuthenticator: ['name', 'isDefault'],
  employeeTemplate: ['name', 'primaryRoleId', 'teamId', 'timeZone', 'type', 'loginAuthenticatorId'],
} as const satisfies { [K in CatalogKind]: readonly (keyof CatalogRow<K> & string)[] };

const TEMPLATE_REFERENCES = [
  { field: 'primaryRoleId', kind: 'role' },
  { field: 'teamId', kind: 'team' },
  { field: 'loginAuthenticatorId', kind: 'loginAuthenticator' },
] as const satisfies readonly { field: keyof EmployeeTemplateChanges; kind: CatalogKind }[];


/** The trimmed, NFC name; an issue when it is missing, blank, too long or holds control characters. */
function checkName(issues: IssueCollector, value: string | null | undefined, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (value === undefined || value === null) {
    issues.add(ErrorCode.REQUIRED, value === null ? 'name cannot be null.' : 'name is required.', 'name');
    return undefined;
  }
  if (typeof value !== 'string') {
    issues.add(ErrorCode.INVALID_VALUE, 'name must be a string.', 'name');
    return undefined;
  }
  const name = value.trim().normalize('NFC');
  if (name === '') {
    issues.add(ErrorCode.REQUIRED, 'name must not be empty.', 'name');
    return undefined;
  }
  const problem = textProblem(name, { max: MAX_CATALOG_NAME_LENGTH });
  if (problem === 'control characters') {
    issues.add(ErrorCode.INVALID_VALUE, 'name contains control characters (such as line breaks or tabs), which names cannot hold.', 'name');
    return undefined;
  }
  if (problem) {
    issues.add(ErrorCode.INVALID_VALUE, `${describeTextProblem('name', problem, MAX_CATALOG_NAME_LENGTH)}.`, 'name');
    return undefined;
  }
  return name;
}

/** Optional free text: trimmed, blank as null; line breaks and tabs are allowed only when `multiline`. */
function checkText(
  issues: IssueCollector,
  field: string,
  value: string | null | undefined,
  max: number,
  multiline: boolean,
): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') {
    issues.add(ErrorCode.INVALID_VALUE, `${field} must be a string.`, field);
    return undefined;
  }
  const text = value.trim();
  const problem = textProblem(text, { max, multiline });
  if (problem) {
    issues.add(ErrorCode.INVALID_VALUE, `${describeTextProblem(field, problem, max)}.`, field);
    return undefined;
  }
  return text === '' ? null : text;
}

async function checkTemplatePresets(
  ctx: RequestContext,
  input: EmployeeTemplateChanges,
  issues: IssueCollector,
): Promise<Omit<EmployeeTemplateChanges, 'name'>> {
  const presets: Omit<EmployeeTemplateChanges, 'name'> = {
    type: checkText(issues, 'type', input.type, MAX_TEXT_LENGTH, false),
  };
  if (input.timeZone !== undefined) {
    const timeZone = checkText(issues, 'timeZone', input.timeZone, 64, false);
    const canonical = typeof timeZone === 'string' ? canonicalTimeZone(timeZone) : undefined;
    if (typeof timeZone === 'string' && canonical === undefined) {
      issues.add(ErrorCode.INVALID_VALUE, `timeZone: ${timeZoneProblem(timeZone)}`, 'timeZone');
    } else {
      presets.timeZone = canonical ?? timeZone;
    }
  }
  for (const { field, kind } of TEMPLATE_REFERENCES) {
    const id = input[field];
    if (id === undefined) continue;
    if (id !== null && !(await catalogService.exists(ctx, kind, id))) {
      issues.add(ErrorCode.INVALID_VALUE, `${field} is not the id of a ${CATALOGS[kind].label} in this tenant.`, field);
    } else {
      presets[field] = id;
    }
  }
  return presets;
}

function nameTaken(kind: CatalogKind, name: string): DomainError {
  return new DomainError(
    ErrorCode.UNIQUENESS,
    `A ${CATALOGS[kind].label} named "${name}" already exists in this tenant (names are compared case-insensitively).`,
    'name',
  );
}

async function checkNameFree(
  ctx: RequestContext,
  kind: CatalogKind,
  name: string | undefined,
  exceptId: string | null,
  issues: IssueCollector,
): Promise<void> {
  if (name === undefined) return;
  const rows = await sql.rows(
    ctx,
    `SELECT 1 FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND name = $2::citext AND id IS DISTINCT FROM $3::uuid`,
    [ctx.tenantId, name, exceptId],
  );
  if (rows.length > 0) issues.add(ErrorCode.UNIQUENESS, nameTaken(kind, name).message, 'name');
}

function notFound(kind: CatalogKind): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No ${CATALOGS[kind].label} with this id exists in this tenant.`, 'id');
}

/** The row, locked for the rest of the transaction; NOT_FOUND for unknown ids and other tenants' rows alike. */
async function lockRow<K extends CatalogKind>(ctx: RequestContext, kind: K, id: string): Promise<CatalogRow<K>> {
  if (!isUuid(id)) throw notFound(kind);
  const row = await ctx.manager
    .createQueryBuilder(CATALOGS[kind].entity, 'x')
    .setLock('pessimistic_write')
    .where('x.tenant_id = :tenantId AND x.id = :id', { tenantId: ctx.tenantId, id })
    .getOne();
  if (!row) throw notFound(kind);
  return row as CatalogRow<K>;
}

async function insertRow<K extends CatalogKind>(
  ctx: RequestContext,
  kind: K,
  values: Partial<CatalogRow<K>>,
): Promise<CatalogRow<K>> {
  let raw: Record<string, unknown>[];
  try {
    raw = await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(CATALOGS[kind].entity)
      .values({ ...values, tenantId: ctx.tenantId })
      .returning('*')
      .execute()
      .then((r) => r.raw as Record<string, unknown>[]);
  } catch (error) {
    // A concurrent create of the same name won the race for the unique index.
    if (isUniqueViolation(error)) throw nameTaken(kind, String(values.name));
    if (isForeignKeyViolation(error)) throw referenceGone();
    throw error;
  }
  const row = mapRow(ctx.manager, CATALOGS[kind].entity, raw[0]) as CatalogRow<K>;
  await auditService.record(ctx, {
    action: `${AUDIT_TARGET[kind]}.created`,
    targetType: AUDIT_TARGET[kind],
    targetId: row.id,
    changes: diff(null, row, AUDITED[kind] as readonly (keyof CatalogRow<K> & string)[]),
  });
  return row;
}

/** Writes the fields that differ (undefined leaves one alone) with an audit row; an unchanged row is not written. */
async function updateRow<K extends CatalogKind>(
  ctx: RequestContext,
  kind: K,
  current: CatalogRow<K>,
  changes: Partial<Record<keyof CatalogRow<K> & string, unknown>>,
): Promise<CatalogRow<K>> {
  const set: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value !== undefined && value !== current[field as keyof CatalogRow<K>]) set[field] = value;
  }
  if (Object.keys(set).length === 0) return current;
  let raw: Record<string, unknown>[];
  try {
    raw = await ctx.manager
      .createQueryBuilder()
      .update(CATALOGS[kind].entity)
      .set({ ...set, updatedAt: () => 'now()' })
      .where('tenant_id = :tenantId AND id = :id', { tenantId: ctx.tenantId, id: current.id })
      .returning('*')
      .execute()
      .then((r) => r.raw as Record<string, unknown>[]);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(kind, String(set.name));
    if (isForeignKeyViolation(error)) throw referenceGone();
    throw error;
  }
  const row = mapRow(ctx.manager, CATALOGS[kind].entity, raw[0]) as CatalogRow<K>;
  await auditService.record(ctx, {
    action: `${AUDIT_TARGET[kind]}.updated`,
    targetType: AUDIT_TARGET[kind],
    targetId: row.id,
    changes: diff(current, row, AUDITED[kind] as readonly (keyof CatalogRow<K> & string)[]),
  });
  return row;
}

function referenceGone(): DomainError {
  return new DomainError(
    ErrorCode.INVALID_VALUE,
    'A role, team or login authenticator this refers to was deleted meanwhile; read them again and retry.',
  );
}

async function createDescribed<K extends 'role' | 'team'>(
  ctx: RequestContext,
  kind: K,
  input: DescribedChanges & { name: string },
): Promise<CatalogRow<K>> {
  return inTransaction(ctx, async (tx) => {
    const issues = new IssueCollector();
    const name = checkName(issues, input.name, true);
    const description = checkText(issues, 'description', input.description, MAX_DESCRIPTION_LENGTH, true);
    await checkNameFree(tx, kind, name, null, issues);
    issues.throwIfAny();
    return insertRow(tx, kind, { name: name!, description: description ?? null } as Partial<CatalogRow<K>>);
  });
}

/**
 * inTransaction for changes that may rename a role, team or authenticator: SCIM user lists can be filtered by those
 * names (`primaryRole eq "Agent"`), so a rename changes what such a list holds, and the lists' remembered totals and
 * continuations must not be used after it.
 */
async function renamingTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  const result = await inTransaction(ctx, work);
  employeeListGenerations.written(ctx.tenantId);
  return result;
}

async function updateDescribed<K extends 'role' | 'team'>(
  ctx: RequestContext,
  kind: K,
  id: string,
  changes: DescribedChanges,
  extraCheck?: (tx: RequestContext, current: CatalogRow<K>, issues: IssueCollector, name: string | undefined) => Promise<void>,
): Promise<CatalogRow<K>> {
  return renamingTransaction(ctx, async (tx) => {
    const current = await lockRow(tx, kind, id);
    const issues = new IssueCollector();
    const name = checkName(issues, changes.name, false);
    const description = checkText(issues, 'description', changes.description, MAX_DESCRIPTION_LENGTH, true);
    await checkNameFree(tx, kind, name, current.id, issues);
    await extraCheck?.(tx, current, issues, name);
    issues.throwIfAny();
    return updateRow(tx, kind, current, { name, description } as Partial<Record<keyof CatalogRow<K> & string, unknown>>);
  });
}

/**
 * Deletes a row that nothing refers to. Employees (deleted ones too: they keep their references for the record) and
 * templates that use it make it IN_USE, with the counts; the composite foreign keys (RESTRICT) back this up against
 * a concurrent assignment.
 */
async function deleteRow<K extends CatalogKind>(
  ctx: RequestContext,
  kind: K,
  id: string,
  guard?: (tx: RequestContext, row: CatalogRow<K>) => Promise<void>,
): Promise<CatalogRow<K>> {
  return inTransaction(ctx, async (tx) => {
    const row = await lockRow(tx, kind, id);
    await guard?.(tx, row);
    const label = CATALOGS[kind].label;
    const column = REFERENCE_COLUMN[kind];
    if (column) {
      const [usage] = await sql.rows<{ employees: number; deleted: number; templates: number }>(
        tx,
        `SELECT (SELECT count(*)::int FROM employees WHERE tenant_id = $1 AND ${column} = $2) AS employees,
                (SELECT count(*)::int FROM employees WHERE tenant_id = $1 AND ${column} = $2 AND deleted_at IS NOT NULL) AS deleted,
                (SELECT count(*)::int FROM employee_templates WHERE tenant_id = $1 AND ${column} = $2) AS templates`,
        [tx.tenantId, row.id],
      );
      if (usage.employees > 0 || usage.templates > 0) {
        const users = [
          usage.employees > 0
            ? `${plural(usage.employees, 'employee')}${usage.deleted > 0 ? ` (${usage.deleted} of them deleted)` : ''}`
            : null,
          usage.templates > 0 ? plural(usage.templates, 'employee template') : null,
        ].filter((s) => s !== null);
        throw new DomainError(
          ErrorCode.IN_USE,
          `The ${label} "${row.name}" cannot be deleted: it is used by ${users.join(' and ')}; give them another ${label} first.`,
          'id',
        );
      }
    }
    try {
      await sql.affected(tx, `DELETE FROM ${CATALOGS[kind].table} WHERE tenant_id = $1 AND id = $2`, [tx.tenantId, row.id]);
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw new DomainError(
          ErrorCode.IN_USE,
          `The ${label} "${row.name}" cannot be deleted: it was just given to an employee or template.`,
          'id',
        );
      }
      throw error;
    }
    await auditService.record(tx, {
      action: `${AUDIT_TARGET[kind]}.deleted`,
      targetType: AUDIT_TARGET[kind],
      targetId: row.id,
      changes: diff(row, {} as CatalogRow<K>, AUDITED[kind] as readonly (keyof CatalogRow<K> & string)[]),
    });
    return row;
  });
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Serialises changes of the tenant's default login authenticator (there is no unique index to decide races): two
 * concurrent "make this the default" must not both win.
 */
async function lockDefaultAuthenticator(ctx: RequestContext): Promise<void> {
  await sql.rows(ctx, 'SELECT pg_advisory_xact_lock(4242002, hashtext($1))', [ctx.tenantId]);
}

async function clearOtherDefaults(ctx: RequestContext, defaultId: string): Promise<void> {
  const cleared = await ctx.manager
    .createQueryBuilder()
    .update(LoginAuthenticator)
    .set({ isDefault: false, updatedAt: () => 'now()' })
    .where('tenant_id = :tenantId AND is_default AND id <> :defaultId', { tenantId: ctx.tenantId, defaultId })
    .returning('id')
    .execute()
    .then((r) => r.raw as { id: string }[]);
  for (const { id } of cleared) {
    await auditService.record(ctx, {
      action: `${AUDIT_TARGET.loginAuthenticator}.updated`,
      targetType: AUDIT_TARGET.loginAuthenticator,
      targetId: id,
      changes: { isDefault: { from: true, to: false } },
    });
  }
}
