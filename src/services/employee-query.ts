import { KEYSET_TIME } from './keyset';
import { usernameKey } from './username-key';
import { Bind, Query, QueryOp, QueryTable, compileWhere, isSubstringOp, likePattern, sqlOperator } from './query-compiler';

export { likePattern } from './query-compiler';
export type { QueryOp, QueryValue } from './query-compiler';

/**
 * The query over employees (the SCIM filter is translated into it): its FIELDS table, the only place SQL identifiers
 * for employee queries come from, and the comparisons only employees have (the status, role, team and authenticator
 * names). src/services/query-compiler.ts compiles the rest.
 */
export type EmployeeQueryField = keyof typeof FIELDS;

export type EmployeeQuery = Query<EmployeeQueryField>;

/** Stored as ACTIVE / INACTIVE, compared as SCIM's `active` boolean. */
interface StatusSpec {
  type: 'status';
  sql: string;
}

/** An id column compared by the name of the row it points to, in `table` of the same tenant as `e`. */
interface ReferenceSpec {
  type: 'reference';
  sql: string;
  table: string;
}

/** Every queryable field and the SQL it reads, over alias `e`. */
export const FIELDS = {
  id: { type: 'uuid', sql: 'e.id' },
  // Compared by their canonical key (username-key.ts), as uniqueness is: never by the database's locale.
  username: { type: 'exactText', sql: 'e.username_key', key: usernameKey },
  // Stored in NFC (normalizeUsername).
  email: { type: 'citext', sql: 'e.email', nfc: true },
  firstName: { type: 'text', sql: 'e.first_name' },
  lastName: { type: 'text', sql: 'e.last_name' },
  middleName: { type: 'text', sql: 'e.middle_name' },
  fullName: { type: 'text', sql: "coalesce(e.formatted_name, concat_ws(' ', e.first_name, e.middle_name, e.last_name))" },
  displayName: { type: 'text', sql: 'e.display_name' },
  mobileNumber: { type: 'text', sql: 'e.mobile_number' },
  timeZone: { type: 'text', sql: 'e.time_zone' },
  type: { type: 'text', sql: 'e.type' },
  externalId: { type: 'exactText', sql: 'e.external_id' },
  status: { type: 'status', sql: 'e.status' },
  createdAt: { type: 'timestamp', sql: 'e.created_at' },
  updatedAt: { type: 'timestamp', sql: 'e.updated_at' },
  primaryRole: { type: 'reference', sql: 'e.primary_role_id', table: 'roles' },
  team: { type: 'reference', sql: 'e.team_id', table: 'teams' },
  loginAuthenticator: { type: 'reference', sql: 'e.login_authenticator_id', table: 'login_authenticators' },
} as const satisfies QueryTable<string, StatusSpec | ReferenceSpec>['fields'];

export function fieldType(field: EmployeeQueryField): (typeof FIELDS)[EmployeeQueryField]['type'] {
  return FIELDS[field].type;
}

function compareOther(spec: StatusSpec | ReferenceSpec, op: Exclude<QueryOp, 'ne'>, value: string | number | boolean, bind: Bind): string {
  if (spec.type === 'status') {
    const active = value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
    return op === 'eq' ? `(${spec.sql} = ${bind(active ? 'ACTIVE' : 'INACTIVE')})` : 'FALSE';
  }
  const name = String(value);
  const condition = isSubstringOp(op)
    ? `x.name ILIKE ${bind(likePattern(name, op))}`
    : `x.name ${sqlOperator(op)} ${bind(name, '::citext')}`;
  return `(${spec.sql} IN (SELECT x.id FROM ${spec.table} x WHERE x.tenant_id = e.tenant_id AND ${condition}))`;
}

const EMPLOYEES: QueryTable<EmployeeQueryField, StatusSpec | ReferenceSpec> = { fields: FIELDS, compareOther };

/** Compiles a query to a SQL boolean expression over `e`; `params` receives the values. */
export function compileQuery(query: EmployeeQuery, params: unknown[]): string {
  return compileWhere(EMPLOYEES, query, params);
}

/** Sort keys for lists. Nullable columns sort through COALESCE so keyset comparisons stay total. */
export const SORT_FIELDS = {
  id: { sql: 'e.id', cast: '::uuid' },
  // By the key the unique index holds (so pages read off it): case and width do not change a username's place.
  username: { sql: 'e.username_key', cast: '::text' },
  email: { sql: 'e.email', cast: '::citext' },
  firstName: { sql: 'e.first_name', cast: '::text' },
  lastName: { sql: 'e.last_name', cast: '::text' },
  displayName: { sql: "COALESCE(e.display_name, '')", cast: '::text' },
  externalId: { sql: "COALESCE(e.external_id, '')", cast: '::text' },
  // Cursors of these pages carry the entity's Date (milliseconds): see `milliseconds` in keyset.ts.
  createdAt: { sql: KEYSET_TIME.milliseconds('e.created_at'), cast: KEYSET_TIME.cast },
  updatedAt: { sql: KEYSET_TIME.milliseconds('e.updated_at'), cast: KEYSET_TIME.cast },
} as const;
export type EmployeeSortField = keyof typeof SORT_FIELDS;

/**
 * Orders of admin lists by name: text columns compared in the tenant's collation (collation.ts), then id. LAST_NAME is
 * NAME (ties by first name), so both read off ix_employees_tenant_name; FIRST_NAME has no index, as before.
 */
export const NAME_ORDERS = {
  name: ['last_name', 'first_name'],
  lastName: ['last_name', 'first_name'],
  firstName: ['first_name', 'last_name'],
} as const;
export type NameOrder = keyof typeof NAME_ORDERS;

/** What `employees.search` orders by: a name order, or any sort key of SORT_FIELDS. */
export type SearchOrderField = NameOrder | Exclude<EmployeeSortField, NameOrder>;

/**
 * The orders an admin list offers, by their public names: GraphQL's `EmployeeOrderField` and the CSV export's
 * `orderBy` (src/http/export.ts) both take them from here.
 */
export enum EmployeeOrderField {
  NAME = 'name',
  USERNAME = 'username',
  FIRST_NAME = 'firstName',
  LAST_NAME = 'lastName',
  EMAIL = 'email',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}

export function isNameOrder(field: SearchOrderField): field is NameOrder {
  return Object.hasOwn(NAME_ORDERS, field);
}
