// Part of the catalog service (src/services/catalog.service.ts is its facade).
import { LoginAuthenticator, Role, Team } from '../../entities';
import { auditService, diff } from '../audit.service';
import { RequestContext, inTransaction } from '../context';
import { employeeListGenerations } from '../continuation-cache';
import { DomainError, ErrorCode, IssueCollector, isForeignKeyViolation, isUniqueViolation } from '../errors';
import { mapRow } from '../rows';
import * as sql from '../sql';
import { isUuid } from '../validation';
import { AUDIT_TARGET, AUDITED, CATALOGS, CatalogKind, CatalogRow, DescribedChanges, MAX_DESCRIPTION_LENGTH, REFERENCE_COLUMN } from './kinds';
import { checkName, checkNameFree, checkText, nameTaken, notFound } from './rules';

export async function byIds<T extends Role | Team | LoginAuthenticator>(
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


/** The row, locked for the rest of the transaction; NOT_FOUND for unknown ids and other tenants' rows alike. */
export async function lockRow<K extends CatalogKind>(ctx: RequestContext, kind: K, id: string): Promise<CatalogRow<K>> {
  if (!isUuid(id)) throw notFound(kind);
  const row = await ctx.manager
    .createQueryBuilder(CATALOGS[kind].entity, 'x')
    .setLock('pessimistic_write')
    .where('x.tenant_id = :tenantId AND x.id = :id', { tenantId: ctx.tenantId, id })
    .getOne();
  if (!row) throw notFound(kind);
  return row as CatalogRow<K>;
}

export async function insertRow<K extends CatalogKind>(
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
export async function updateRow<K extends CatalogKind>(
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

export function referenceGone(): DomainError {
  return new DomainError(
    ErrorCode.INVALID_VALUE,
    'A role, team or login authenticator this refers to was deleted meanwhile; read them again and retry.',
  );
}

export async function createDescribed<K extends 'role' | 'team'>(
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
export async function renamingTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  const result = await inTransaction(ctx, work);
  employeeListGenerations.written(ctx.tenantId);
  return result;
}

export async function updateDescribed<K extends 'role' | 'team'>(
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
export async function deleteRow<K extends CatalogKind>(
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

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Serialises changes of the tenant's default login authenticator (there is no unique index to decide races): two
 * concurrent "make this the default" must not both win.
 */
export async function lockDefaultAuthenticator(ctx: RequestContext): Promise<void> {
  await sql.rows(ctx, 'SELECT pg_advisory_xact_lock(4242002, hashtext($1))', [ctx.tenantId]);
}

export async function clearOtherDefaults(ctx: RequestContext, defaultId: string): Promise<void> {
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

