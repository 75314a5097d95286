// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { Employee } from '../../entities';
import { EmployeeStatus, ManagedBy } from '../../entities/enums';
import { AuditChanges } from '../../entities/audit-event.entity';
import { auditRowsSql, auditService, diff } from '../audit.service';
import { Coalesced } from '../coalesce';
import { RequestContext } from '../context';
import { DomainError, ErrorCode, IssueCollector, checkVersion } from '../errors';
import { groupService } from '../group.service';
import { EMPLOYEE_FIELDS, canWrite } from '../ownership';
import { mapRow } from '../rows';
import * as sql from '../sql';
import { DEFAULT_ROLE_NAME, StaleDefaults, TenantDefaults, defaultRoleMissing, defaultsSelect, loadDefaults, rememberDefaults, toDefaults, withTenantDefaults } from '../tenant-defaults';
import { usernameKey } from '../username-key';
import { isUuid } from '../validation';
import { createBatches, replaceWithoutReading, updateBatches } from './batches';
import { ResolvedIdpInput, resolveIdpInput } from './idp-input';
import { counts, listedWriteTransaction } from './list-caches';
import { employeeReads } from './reads';
import { AUDITED_FIELDS, StaleVersion, WRITTEN_FIELDS, asWriteError, employeeNotFound, normalize, validate, withKey } from './rules';
import { EmployeeChanges, EmployeeView, IdpEmployee, IdpWriteResult, NewEmployee, REQUIRED_EMPLOYEE_FIELDS, UpdateOptions } from './types';
import { VIEW_COLUMNS, VIEW_JOINS, VIEW_NAMES, column, toView } from './view';

const OPTIMISTIC_ATTEMPTS = 5;

/**
 * What a write reads first, locked: employee `$3` (as a view, deleted or not: see liveRow) and the tenant's defaults,
 * in one statement. No `deleted_at IS NULL` in it, as none in sql.byKeys: for a tenant without statistics PostgreSQL
 * took a partial index on live rows that holds the id only after the names (ix_employees_tenant_name) and read all
 * the tenant's entries of it (test/query-plans.test.ts).
 */
const WRITE_READ = `SELECT e.*, ${VIEW_COLUMNS}, d.* FROM employees e ${VIEW_JOINS} CROSS JOIN (${defaultsSelect('$1', '$2')}) d
  WHERE e.tenant_id = $1 AND e.id = $3 FOR UPDATE OF e`;

/** The row if it is a live employee's (see WRITE_READ). */
function liveRow<T extends Record<string, unknown>>(row: T | undefined | null): T | undefined {
  return row && row.deleted_at === null ? row : undefined;
}

/** Concurrent writes of one tenant read their employees in one statement (see Coalesced), each id on its own (sql.byKeys). */
const writeReads = new Coalesced<string, Record<string, unknown>>(async (ctx, ids) => {
  const rows = await sql.rows(
    ctx,
    `SELECT e.*, ${VIEW_COLUMNS}, d.* FROM ${sql.byKeys('employees', 'e', 'id', '$1', '$3::uuid[]')} CROSS JOIN (${defaultsSelect('$1', '$2')}) d
      WHERE e.deleted_at IS NULL`,
    [ctx.tenantId, DEFAULT_ROLE_NAME, ids],
  );
  return new Map(rows.map((raw) => [String(raw.id), raw]));
}, (id) => id.toLowerCase());

/**
 * The SCIM write path without BEGIN/COMMIT or row locks: read the employee, compute, and write only if its version is
 * still the one read (`UPDATE … WHERE version = $v`, row and audit in one statement). A write that lost a race reads
 * again and recomputes, so no acknowledged field is ever lost; with If-Match, the client's version must match.
 */
async function optimistically(
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
  write: (ctx: RequestContext, current: EmployeeView, defaults: TenantDefaults) => Promise<EmployeeView>,
): Promise<EmployeeView> {
  const notFound = () => employeeNotFound(id);
  if (!isUuid(id)) throw notFound();
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const row = await writeReads.get(ctx, id);
    if (!row) throw notFound();
    const current = toView(ctx, row);
    const defaults = toDefaults(row);
    rememberDefaults(ctx.tenantId, defaults);
    checkVersion('employee', expectedVersion, current.employee.version);
    try {
      return await write(ctx, current, defaults);
    } catch (error) {
      if (!(error instanceof StaleVersion)) throw error;
      if (expectedVersion !== undefined) {
        throw new DomainError(ErrorCode.VERSION_CONFLICT, 'The employee is being changed concurrently; read it again and retry.');
      }
    }
  }
  // Still losing after several attempts (many writers on one employee): a write without If-Match must not fail with
  // 412 (an IdP may drop a deactivation it was refused), so take the row lock and write once.
  return listedWriteTransaction(ctx, async (tx) => {
    const row = liveRow(await sql.one(tx, WRITE_READ, [tx.tenantId, DEFAULT_ROLE_NAME, id]));
    if (!row) throw notFound();
    return write(tx, toView(tx, row), toDefaults(row));
  });
}


/** The audit row's parameters, appended to `params`; returns the SELECT list that writes it from CTE `w`. */
function auditInsert(ctx: RequestContext, params: unknown[], action: string, changes: AuditChanges): string {
  params.push(ctx.actor.surface, ctx.actor.tokenId, action, JSON.stringify(changes), ctx.requestId);
  const n = params.length;
  return auditRowsSql(
    {
      tenantId: 'w.tenant_id',
      surface: `$${n - 4}`,
      tokenId: `$${n - 3}::uuid`,
      action: `$${n - 2}`,
      targetType: "'employee'",
      targetId: 'w.id',
      changes: `$${n - 1}::jsonb`,
      requestId: `$${n}`,
    },
    'FROM w',
  );
}

/**
 * Runs a write CTE named `w` (plus its audit insert) and returns the written row as a view, in one statement.
 * `unchanged` is the view as read before the write, when the write changes none of its references: its names and
 * groups are reused rather than looked up again, which measured a quarter of PostgreSQL's time for an update.
 */
async function writeWithAudit(
  ctx: RequestContext,
  write: string,
  audit: string,
  params: unknown[],
  unchanged?: EmployeeView,
): Promise<EmployeeView | null> {
  if (unchanged) {
    const rows = await sql.rows(ctx, `WITH w AS (${write}), audit AS (${audit}) SELECT * FROM w`, params);
    return rows[0] ? { employee: mapRow(ctx.manager, Employee, rows[0]), names: unchanged.names, groups: unchanged.groups } : null;
  }
  const rows = await sql.rows(ctx, `WITH w AS (${write}), audit AS (${audit}) SELECT e.*, ${VIEW_COLUMNS} FROM w AS e ${VIEW_JOINS}`, params);
  return rows[0] ? toView(ctx, rows[0]) : null;
}

async function insertEmployee(
  ctx: RequestContext,
  input: NewEmployee,
  managedBy: ManagedBy,
  { externalId, formattedName }: { externalId: string | null; formattedName: string | null },
  defaults: TenantDefaults,
): Promise<EmployeeView> {
  const issues = new IssueCollector();
  for (const field of REQUIRED_EMPLOYEE_FIELDS) {
    if (input[field] === undefined || input[field] === null) issues.add(ErrorCode.REQUIRED, `${field} is required.`, field);
  }
  await validate(ctx, input, issues, defaults);
  issues.throwIfAny();
  const values = normalize(input) as NewEmployee;
  if (values.primaryRoleId === undefined || values.primaryRoleId === null) {
    if (!defaults.defaultRoleId) throw defaultRoleMissing(defaults.chosenDefaultRoleId);
    values.primaryRoleId = defaults.defaultRoleId;
  }
  if (values.loginAuthenticatorId === undefined) values.loginAuthenticatorId = defaults.defaultLoginAuthenticatorId;
  const row: Record<string, unknown> = {
    tenantId: ctx.tenantId,
    username: values.username,
    usernameKey: usernameKey(values.username),
    firstName: values.firstName,
    lastName: values.lastName,
    email: values.email,
    displayName: values.displayName ?? null,
    middleName: values.middleName ?? null,
    mobileNumber: values.mobileNumber ?? null,
    timeZone: values.timeZone ?? null,
    type: values.type ?? null,
    primaryRoleId: values.primaryRoleId,
    teamId: values.teamId ?? null,
    loginAuthenticatorId: values.loginAuthenticatorId ?? null,
    status: values.status ?? 'ACTIVE',
    managedBy,
    externalId,
    formattedName,
  };
  const changes: AuditChanges = {};
  for (const field of AUDITED_FIELDS) if (row[field] !== null && row[field] !== undefined) changes[field] = { from: null, to: row[field] };
  // The statement of a create on its own, built only when it runs: most creates of an import go through createBatches.
  const alone = async (): Promise<EmployeeView> => {
    const params: unknown[] = [];
    const columns = Object.keys(row).map((property) => {
      params.push(row[property]);
      return column(ctx, property);
    });
    const placeholders = columns.map((_, i) => `$${i + 1}`);
    params.push(row.status === 'INACTIVE');
    const inactive = `$${params.length}::boolean`;
    // The defaults this create was computed with; the INSERT writes only while they are still the tenant's.
    params.push(
      DEFAULT_ROLE_NAME,
      defaults.usernameFormat,
      defaults.scimImportFields,
      defaults.defaultRoleId,
      defaults.chosenDefaultRoleId,
      defaults.defaultLoginAuthenticatorId,
    );
    const n = params.length;
    const unchanged = `d._username_format = $${n - 4} AND d._scim_import_fields = $${n - 3}::text[] AND d._default_role IS NOT DISTINCT FROM $${n - 2}::uuid
      AND d._chosen_default_role IS NOT DISTINCT FROM $${n - 1}::uuid AND d._default_authenticator IS NOT DISTINCT FROM $${n}::uuid`;
    const audit = auditInsert(ctx, params, 'employee.created', changes);
    // A new employee is in no group yet (no one can name its id before this commits): no groups lookup.
    const statement = `WITH d AS (${defaultsSelect('$1', `$${n - 5}`)}),
      w AS (INSERT INTO employees (${columns.join(', ')}, deactivated_at)
            SELECT ${placeholders.join(', ')}, CASE WHEN ${inactive} THEN now() END FROM d WHERE ${unchanged}
            RETURNING *),
      audit AS (${audit})
      SELECT e.*, ${VIEW_NAMES}, '[]'::json AS _groups, d.* FROM d LEFT JOIN w AS e ON true ${VIEW_JOINS}`;
    try {
      // The partial unique index decides races: of two concurrent creates of one username, the loser gets a unique
      // violation here and a UNIQUENESS error (SCIM 409), never a 500.
      const rows = await sql.rows(ctx, statement, params);
      if (!rows[0]) throw new DomainError(ErrorCode.NOT_FOUND, 'The tenant no longer exists.');
      if (rows[0].id === null) throw new StaleDefaults(toDefaults(rows[0]));
      return toView(ctx, rows[0]);
    } catch (error) {
      throw asWriteError(error, values.username);
    }
  };
  const view = await createBatches.do(ctx, { row, changes, defaults, alone, requestId: ctx.requestId, actor: ctx.actor });
  counts.invalidate(ctx.tenantId);
  return view!;
}

/** The ownership rule and every value check for a change of `current`; throws all issues at once. */
async function checkChanges(ctx: RequestContext, current: Employee, requested: EmployeeChanges, defaults: TenantDefaults): Promise<void> {
  const issues = new IssueCollector();
  for (const field of EMPLOYEE_FIELDS) {
    if (requested[field] === undefined) continue;
    if (!canWrite(ctx.actor.surface, current.managedBy, field) && requested[field] !== current[field]) {
      issues.add(
        ErrorCode.IDP_MANAGED_FIELD,
        `${field} of this employee is managed by the identity provider; change it there and it will sync to Rollcall.`,
        field,
      );
    }
  }
  await validate(ctx, requested, issues, defaults, current);
  issues.throwIfAny();
}

/**
 * Every employee update (GraphQL, SCIM PATCH, SCIM PUT with If-Match): what changed, its audit row, the claim of a
 * LOCAL employee by SCIM, `deactivated_at`. A SCIM PUT without If-Match usually takes replaceWithoutReading instead,
 * whose statement (replaceStatement) says the same in SQL; test/scim-replace.test.ts keeps the two equal.
 */
async function updateEmployee(
  ctx: RequestContext,
  id: string,
  requested: EmployeeChanges,
  options: UpdateOptions,
  defaultsRead?: TenantDefaults,
  locked?: EmployeeView,
): Promise<EmployeeView> {
  const notFound = () => employeeNotFound(id);
  if (!isUuid(id)) throw notFound();
  let currentView = locked;
  let defaults = defaultsRead;
  if (!currentView || !defaults) {
    const row = liveRow((await sql.rows(ctx, WRITE_READ, [ctx.tenantId, DEFAULT_ROLE_NAME, id]))[0]);
    if (!row) throw notFound();
    currentView = toView(ctx, row);
    defaults = toDefaults(row);
  }
  const current = currentView.employee;
  checkVersion('employee', options.expectedVersion, current.version);

  await checkChanges(ctx, current, requested, defaults);

  const values = normalize(requested);
  const set: Record<string, unknown> = {};
  for (const field of EMPLOYEE_FIELDS) {
    const value = values[field];
    if (value !== undefined && value !== current[field]) set[field] = value;
  }
  if (options.externalId !== undefined && options.externalId !== current.externalId) set.externalId = options.externalId;
  if (options.formattedName !== undefined && options.formattedName !== current.formattedName) set.formattedName = options.formattedName;
  const claim = ctx.actor.surface === 'scim' && current.managedBy === 'LOCAL';
  if (claim) set.managedBy = 'IDENTITY_PROVIDER';
  if (Object.keys(set).length === 0) return currentView;
  withKey(set);

  const params: unknown[] = [ctx.tenantId, id];
  const assignments = Object.entries(set).map(([property, value]) => {
    params.push(value);
    return `${column(ctx, property)} = $${params.length}`;
  });
  if (set.status === 'INACTIVE') assignments.push('deactivated_at = now()');
  if (set.status === 'ACTIVE') assignments.push('deactivated_at = NULL');
  const changes: AuditChanges = {};
  for (const field of AUDITED_FIELDS) if (field in set) changes[field] = { from: current[field] ?? null, to: set[field] ?? null };
  let guard = '';
  if (options.ifVersion !== undefined) {
    params.push(options.ifVersion);
    // No `deleted_at IS NULL` (see WRITE_READ): the version read was a live row's, and a delete moves the version.
    guard = ` AND version = $${params.length}`;
  }
  const update = `UPDATE employees SET ${assignments.join(', ')}, version = version + 1, updated_at = now()
                   WHERE tenant_id = $1 AND id = $2${guard} RETURNING *`;
  const action = claim ? 'employee.claimed' : 'employee.updated';
  let view: EmployeeView | null;
  try {
    // An employee update never changes memberships; the groups are those read at the start of this write.
    const referencesUnchanged = !('primaryRoleId' in set || 'teamId' in set || 'loginAuthenticatorId' in set);
    const audit = auditInsert(ctx, params, action, changes);
    const alone = () => writeWithAudit(ctx, update, audit, params, referencesUnchanged ? currentView : undefined);
    if (options.ifVersion !== undefined && referencesUnchanged) {
      const after: Record<string, unknown> = {};
      for (const field of WRITTEN_FIELDS) after[field] = field in set ? set[field] : current[field];
      const deactivation = set.status === 'INACTIVE' ? 'set' : set.status === 'ACTIVE' ? 'clear' : 'keep';
      const version = options.ifVersion;
      const { requestId, actor } = ctx;
      view = await updateBatches.do(ctx, { id, version, after, deactivation, action, changes, current: currentView, alone, requestId, actor });
    } else {
      view = await alone();
    }
  } catch (error) {
    throw asWriteError(error, String(values.username));
  }
  if (!view) throw options.ifVersion !== undefined ? new StaleVersion() : notFound();
  counts.invalidate(ctx.tenantId);
  return view;
}


/** Changing employees: creates, updates from every surface, soft deletes. */
export const employeeWrites = {
  /** Runs every check `update` would, without writing: lets a surface report all problems of a request at once. */
  async checkUpdate(ctx: RequestContext, id: string, changes: EmployeeChanges): Promise<void> {
    const current = await employeeReads.get(ctx, id);
    if (!current) throw employeeNotFound(id);
    await checkChanges(ctx, current, changes, await loadDefaults(ctx));
  },

  /**
   * Sets the status of a LOCAL employee (GraphQL `setEmployeeStatus`). For an IdP-managed employee the ownership
   * table refuses it with IDP_MANAGED_FIELD, like any other IdP-owned field.
   */
  async setStatus(ctx: RequestContext, id: string, status: EmployeeStatus): Promise<Employee> {
    return this.update(ctx, id, { status });
  },

  /** Creates an employee managed in Rollcall itself (GraphQL, CLI). Without a role, the tenant's default applies. */
  async createLocal(ctx: RequestContext, input: NewEmployee): Promise<Employee> {
    const metadata = { externalId: null, formattedName: null };
    return (await withTenantDefaults(ctx, (defaults) => insertEmployee(ctx, input, 'LOCAL', metadata, defaults))).employee;
  },

  /**
   * Creates an employee from an identity provider. Order of precedence: the named template's presets, then the
   * explicit optional fields the tenant imports, then the tenant's default role when no role is set yet.
   * One statement in all (see withTenantDefaults): an INSERT that also checks the tenant's defaults it was computed
   * with, writes the audit row and returns the representation (atomic on its own, so no explicit transaction).
   */
  async createFromIdentityProvider(ctx: RequestContext, input: IdpEmployee): Promise<IdpWriteResult> {
    return withTenantDefaults(ctx, async (defaults) => {
      const { changes, ignoredAttributes, warnings, formattedName, externalId } = await resolveIdpInput(ctx, input, true, defaults);
      const metadata = { externalId: externalId ?? null, formattedName: formattedName ?? null };
      const view = await insertEmployee(ctx, changes as NewEmployee, 'IDENTITY_PROVIDER', metadata, defaults);
      return { employee: view.employee, view, ignoredAttributes, warnings };
    });
  },

  /**
   * Applies an identity provider's view of an existing employee. A LOCAL employee becomes IdP-managed (claimed), and
   * the claim is audited.
   */
  async updateFromIdentityProvider(
    ctx: RequestContext,
    id: string,
    input: Partial<IdpEmployee>,
    options: { expectedVersion?: number } = {},
  ): Promise<IdpWriteResult> {
    const unread = await replaceWithoutReading(ctx, id, input, options);
    if (unread) return unread;
    let resolved: ResolvedIdpInput | undefined;
    const view = await optimistically(ctx, id, options.expectedVersion, async (ctx, current, defaults) => {
      resolved = await resolveIdpInput(ctx, input, false, defaults);
      const { externalId, formattedName } = resolved;
      return updateEmployee(ctx, id, resolved.changes, { externalId, formattedName, ifVersion: current.employee.version }, defaults, current);
    });
    return { employee: view.employee, view, ignoredAttributes: resolved!.ignoredAttributes, warnings: resolved!.warnings };
  },

  /**
   * Read-modify-write for SCIM PATCH: `transform` receives the current employee and returns the IdP attributes that
   * changed. Optimistic (see `optimistically`), so concurrent PATCHes never lose each other's fields.
   */
  async patchFromIdentityProvider(
    ctx: RequestContext,
    id: string,
    transform: (current: EmployeeView) => Partial<IdpEmployee>,
    options: { expectedVersion?: number } = {},
  ): Promise<IdpWriteResult> {
    let resolved: ResolvedIdpInput | undefined;
    const view = await optimistically(ctx, id, options.expectedVersion, async (ctx, current, defaults) => {
      const input = transform(current);
      resolved = await resolveIdpInput(ctx, input, false, defaults);
      const { externalId, formattedName } = resolved;
      return updateEmployee(ctx, id, resolved.changes, { externalId, formattedName, ifVersion: current.employee.version }, defaults, current);
    });
    return { employee: view.employee, view, ignoredAttributes: resolved!.ignoredAttributes, warnings: resolved!.warnings };
  },

  /**
   * Soft-deletes an IdP-managed employee (SCIM DELETE, e.g. Entra's hard delete after 30 days): the row and its
   * history stay, the employee is deactivated and disappears from every read, and the username becomes free again.
   */
  async remove(ctx: RequestContext, id: string, options: { expectedVersion?: number } = {}): Promise<Employee> {
    return listedWriteTransaction(ctx, async (tx) => {
      const notFound = () => employeeNotFound(id);
      if (!isUuid(id)) throw notFound();
      const row = liveRow(await sql.one(tx, `SELECT * FROM employees WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tx.tenantId, id]));
      if (!row) throw notFound();
      const current = mapRow(tx.manager, Employee, row);
      checkVersion('employee', options.expectedVersion, current.version);
      const [updated] = await sql.returning(
        tx,
        // A deleted employee holds no username key: the username is free again (the unique index is on the key).
        `UPDATE employees SET deleted_at = now(), username_key = NULL, status = 'INACTIVE',
                deactivated_at = COALESCE(deactivated_at, now()), version = version + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tx.tenantId, id],
      );
      const employee = mapRow(tx.manager, Employee, updated);
      counts.invalidate(tx.tenantId);
      // Deleted employees are members of nothing.
      await groupService.removeEmployeeFromAll(tx, id);
      await auditService.record(tx, {
        action: 'employee.deleted',
        targetType: 'employee',
        targetId: id,
        changes: diff(current, employee, ['status', 'deletedAt']),
      });
      return employee;
    });
  },

  /**
   * Changes an employee (GraphQL). The ownership table decides: for an IdP-managed employee, a non-SCIM actor changing
   * an IdP-owned field gets one IDP_MANAGED_FIELD issue per field and nothing is written. Optimistic, as SCIM's writes
   * (see `optimistically`): the row and its audit row are one statement, guarded by the version read, instead of a
   * transaction that locks the row first (BEGIN, read, write, COMMIT: four round trips, and 0.9 ms of PostgreSQL per
   * update in the bench, docs/benchmarks.md "Session 23").
   */
  async update(ctx: RequestContext, id: string, changes: EmployeeChanges, options: UpdateOptions = {}): Promise<Employee> {
    const view = await optimistically(ctx, id, options.expectedVersion, (ctx, current, defaults) =>
      updateEmployee(ctx, id, changes, { ...options, ifVersion: current.employee.version }, defaults, current),
    );
    return view.employee;
  },
};
