// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { Employee } from '../../entities';
import type { EmployeeSortField } from '../employee-query';
import { RequestContext } from '../context';
import { mapRow } from '../rows';
import type { GroupRef } from '../group.service';
import { EMPLOYEE_REFERENCES } from '../references';
import type { EmployeeReference, EmployeeReferences, EmployeeView } from './types';

/**
 * How `search` reads each reference with the page (`withReferences`): the id property, the columns, the join. Only
 * the references a page shows are read: decoding the columns of the others cost a page of 100 measurable CPU.
 */
export const REFERENCE_READS = {
  primaryRole: {
    property: EMPLOYEE_REFERENCES.primaryRole.field,
    columns: 'r.name::text AS _r_name, r.description AS _r_description',
    join: 'LEFT JOIN roles r ON r.tenant_id = e.tenant_id AND r.id = e.primary_role_id',
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._r_name), description: raw._r_description as string | null }),
    found: '_r_name',
  },
  team: {
    property: EMPLOYEE_REFERENCES.team.field,
    columns: 't.name::text AS _t_name, t.description AS _t_description',
    join: 'LEFT JOIN teams t ON t.tenant_id = e.tenant_id AND t.id = e.team_id',
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._t_name), description: raw._t_description as string | null }),
    found: '_t_name',
  },
  loginAuthenticator: {
    property: EMPLOYEE_REFERENCES.loginAuthenticator.field,
    columns: 'a.name::text AS _a_name, a.is_default AS _a_is_default',
    join: 'LEFT JOIN login_authenticators a ON a.tenant_id = e.tenant_id AND a.id = e.login_authenticator_id',
    read: (raw: Record<string, unknown>, id: string) => ({ id, name: String(raw._a_name), isDefault: raw._a_is_default === true }),
    found: '_a_name',
  },
} as const satisfies Record<EmployeeReference, { property: keyof Employee; columns: string; join: string; read: unknown; found: string }>;

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


/** Reference names of the row aliased `e` (with VIEW_JOINS). */
export const VIEW_NAMES = `r.name::text AS _primary_role, t.name::text AS _team, a.name::text AS _login_authenticator`;
/** Reference names and groups of the row aliased `e`, for every statement that returns a view. */
export const VIEW_COLUMNS = `${VIEW_NAMES},
  (SELECT COALESCE(json_agg(json_build_object('id', g.id, 'displayName', g.display_name::text) ORDER BY g.display_name, g.id), '[]'::json)
     FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
    WHERE m.tenant_id = e.tenant_id AND m.employee_id = e.id) AS _groups`;
export const VIEW_JOINS = Object.values(REFERENCE_READS)
  .map((reference) => reference.join)
  .join('\n  ');
export const VIEW_SELECT = `SELECT e.*, ${VIEW_COLUMNS} FROM employees e ${VIEW_JOINS}`;

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
