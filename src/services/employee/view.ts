// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { Employee } from '../../entities';
import type { EmployeeSortField } from '../employee-query';
import { RequestContext } from '../context';
import { mapRow } from '../rows';
import type { GroupRef } from '../group.service';
import { EMPLOYEE_REFERENCES } from '../references';
import type { EmployeeReference, EmployeeReferences, EmployeeView } from './types';

/**
 * One column of the catalog row `id` of employee `e` refers to, read by its primary key: a scalar subquery per row,
 * whose only good plan is the (tenant_id, id) index. As LEFT JOINs, PostgreSQL without statistics for a new tenant
 * joined the tenant's whole catalog (an index scan on tenant_id alone, the key left to a join filter, or a sequential
 * scan), see test/query-plans.test.ts.
 */
function byKey(table: string, id: string, column: string): string {
  return `(SELECT x.${column} FROM ${table} x WHERE x.tenant_id = e.tenant_id AND x.id = ${id})`;
}

/**
 * How `search` reads each reference with the page (`withReferences`): the id property and the columns. Only the
 * references a page shows are read: decoding the columns of the others cost a page of 100 measurable CPU.
 */
export const REFERENCE_READS = {
  primaryRole: {
    property: EMPLOYEE_REFERENCES.primaryRole.field,
    columns: `${byKey('roles', 'e.primary_role_id', 'name::text')} AS _r_name, ${byKey('roles', 'e.primary_role_id', 'description')} AS _r_description`,
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._r_name), description: raw._r_description as string | null }),
    found: '_r_name',
  },
  team: {
    property: EMPLOYEE_REFERENCES.team.field,
    columns: `${byKey('teams', 'e.team_id', 'name::text')} AS _t_name, ${byKey('teams', 'e.team_id', 'description')} AS _t_description`,
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._t_name), description: raw._t_description as string | null }),
    found: '_t_name',
  },
  loginAuthenticator: {
    property: EMPLOYEE_REFERENCES.loginAuthenticator.field,
    columns: `${byKey('login_authenticators', 'e.login_authenticator_id', 'name::text')} AS _a_name, ${byKey('login_authenticators', 'e.login_authenticator_id', 'is_default')} AS _a_is_default`,
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._a_name), isDefault: raw._a_is_default === true }),
    found: '_a_name',
  },
} as const satisfies Record<EmployeeReference, { property: keyof Employee; columns: string; read: unknown; found: string }>;

/** The references `which` of a row read with their REFERENCE_READS columns (an id whose row is gone reads as null). */
export function toReferences(ctx: RequestContext, raw: Record<string, unknown>, which: readonly EmployeeReference[]): EmployeeReferences {
  const references: EmployeeReferences = {};
  for (const name of which) {
    const { property, read, found } = REFERENCE_READS[name];
    const id = raw[column(ctx, property)];
    (references as Record<string, unknown>)[name] = id === null || id === undefined || raw[found] === null ? null : read(raw, String(id));
  }
  return references;
}

/** The value of a sort key in a raw row, as the keyset condition compares it. */
export function sortValueOf(raw: Record<string, unknown>, field: EmployeeSortField): unknown {
  const column: Record<EmployeeSortField, string> = {
    id: 'id',
    username: 'username_key',
    email: 'email',
    firstName: 'first_name',
    lastName: 'last_name',
    displayName: 'display_name',
    externalId: 'external_id',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  };
  const value = raw[column[field]];
  if (value instanceof Date) return value.toISOString();
  return value ?? '';
}


/** Reference names of the row aliased `e`, each read by its key (see byKey). */
export const VIEW_NAMES = `${byKey('roles', 'e.primary_role_id', 'name::text')} AS _primary_role, ${byKey('teams', 'e.team_id', 'name::text')} AS _team,
  ${byKey('login_authenticators', 'e.login_authenticator_id', 'name::text')} AS _login_authenticator`;
/**
 * Reference names and groups of the row aliased `e`, for every statement that returns a view. The groups are the
 * employee's memberships (the (tenant_id, employee_id) index), each group's name read by its key: joined to groups,
 * PostgreSQL without statistics read every group of the tenant for each employee.
 */
export const VIEW_COLUMNS = `${VIEW_NAMES},
  (SELECT COALESCE(json_agg(json_build_object('id', mg.id, 'displayName', mg.display_name::text) ORDER BY mg.display_name, mg.id), '[]'::json)
     FROM (SELECT m.group_id AS id, (SELECT g.display_name FROM groups g WHERE g.tenant_id = m.tenant_id AND g.id = m.group_id) AS display_name
             FROM group_members m WHERE m.tenant_id = e.tenant_id AND m.employee_id = e.id) mg
    WHERE mg.display_name IS NOT NULL) AS _groups`;
/** Joins the views once needed (the references are now read by VIEW_NAMES' subqueries): kept for the statements that append it. */
export const VIEW_JOINS = '';

export function toView(ctx: RequestContext, raw: Record<string, unknown>): EmployeeView {
  return {
    employee: mapRow(ctx.manager, Employee, raw),
    names: {
      primaryRole: (raw._primary_role as string | null) ?? null,
      team: (raw._team as string | null) ?? null,
      loginAuthenticator: (raw._login_authenticator as string | null) ?? null,
    },
    groups: (raw._groups as GroupRef[] | null) ?? [],
  };
}


/** Column name of an Employee property (`firstName` -> `first_name`), from the entity metadata. */
export function column(ctx: RequestContext, property: string): string {
  let name = columnNames.get(property);
  if (name === undefined) {
    const found = ctx.manager.connection.getMetadata(Employee).findColumnWithPropertyName(property);
    if (!found) throw new Error(`Employee has no column for ${property}`);
    columnNames.set(property, (name = found.databaseName));
  }
  return name;
}

/** Looked up once: pages and batches ask for the same few columns hundreds of times (the naming strategy is fixed). */
const columnNames = new Map<string, string>();


/** Column names and SQL types of Employee properties, from the entity metadata (for `jsonb_to_recordset`). */
export function typedColumns(ctx: RequestContext, fields: readonly string[]): { name: string; type: string }[] {
  const metadata = ctx.manager.connection.getMetadata(Employee);
  return fields.map((field) => {
    const found = metadata.findColumnWithPropertyName(field)!;
    return { name: found.databaseName, type: ctx.manager.connection.driver.normalizeType(found) };
  });
}
