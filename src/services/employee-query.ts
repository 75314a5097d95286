import { KEYSET_TIME } from './keyset';
import { isUuid } from './validation';

/**
 * A transport-neutral query over employees (the SCIM filter is translated into it) and its compiler to
 * parameterised SQL. Values only ever travel as bind parameters; field names come from the fixed table below.
 */
export type QueryOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type QueryValue = string | number | boolean | null;

export type EmployeeQueryField = keyof typeof FIELDS;

export type EmployeeQuery =
  | { kind: 'compare'; field: EmployeeQueryField; op: QueryOp; value: QueryValue }
  | { kind: 'present'; field: EmployeeQueryField }
  | { kind: 'and' | 'or'; left: EmployeeQuery; right: EmployeeQuery }
  | { kind: 'not'; query: EmployeeQuery }
  | { kind: 'const'; value: boolean };

type FieldType = 'citext' | 'text' | 'exactText' | 'uuid' | 'timestamp' | 'status' | 'reference';

interface FieldSpec {
  type: FieldType;
  /** SQL expression over alias `e`. */
  sql: string;
  /** For references: the table holding the name. */
  table?: string;
}

/** Every queryable field and the SQL it reads. The only place SQL identifiers for queries come from. */
export const FIELDS = {
  id: { type: 'uuid', sql: 'e.id' },
  username: { type: 'citext', sql: 'e.username' },
  email: { type: 'citext', sql: 'e.email' },
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
} as const satisfies Record<string, FieldSpec>;

export function fieldType(field: EmployeeQueryField): FieldType {
  return FIELDS[field].type;
}

/** Escapes LIKE metacharacters so that user text matches literally. */
export function likePattern(value: string, op: 'co' | 'sw' | 'ew'): string {
  const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
  return op === 'co' ? `%${escaped}%` : op === 'sw' ? `${escaped}%` : `%${escaped}`;
}

const SQL_OPS: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** Compiles a query to a SQL boolean expression; `params` receives the values, `$n` placeholders reference them. */
export function compileQuery(query: EmployeeQuery, params: unknown[]): string {
  const bind = (value: unknown, cast = ''): string => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const compile = (q: EmployeeQuery): string => {
    switch (q.kind) {
      case 'const':
        return q.value ? 'TRUE' : 'FALSE';
      case 'and':
        return `(${compile(q.left)} AND ${compile(q.right)})`;
      case 'or':
        return `(${compile(q.left)} OR ${compile(q.right)})`;
      case 'not':
        return `(NOT COALESCE(${compile(q.query)}, FALSE))`;
      case 'present': {
        const spec: FieldSpec = FIELDS[q.field];
        if (spec.type === 'text' || spec.type === 'citext' || spec.type === 'exactText') {
          return `(${spec.sql} IS NOT NULL AND ${spec.sql} <> '')`;
        }
        return `(${spec.sql} IS NOT NULL)`;
      }
      case 'compare':
        return compare(q.field, q.op, q.value);
    }
  };

  const compare = (field: EmployeeQueryField, op: QueryOp, value: QueryValue): string => {
    const spec: FieldSpec = FIELDS[field];
    if (value === null) {
      if (op === 'eq') return `(${spec.sql} IS NULL)`;
      if (op === 'ne') return `(${spec.sql} IS NOT NULL)`;
      return 'FALSE';
    }
    if (op === 'ne') return `(${spec.sql} IS NULL OR NOT COALESCE(${compare(field, 'eq', value)}, FALSE))`;
    switch (spec.type) {
      case 'status': {
        const active = value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
        return op === 'eq' ? `(${spec.sql} = ${bind(active ? 'ACTIVE' : 'INACTIVE')})` : 'FALSE';
      }
      case 'uuid': {
        const text = String(value);
        // Never compare `id::text = $1`: that hides the primary key index (see docs/architecture.md).
        if (op === 'eq') return isUuid(text) ? `(${spec.sql} = ${bind(text.toLowerCase(), '::uuid')})` : 'FALSE';
        if (op === 'co' || op === 'sw' || op === 'ew') return `(${spec.sql}::text ILIKE ${bind(likePattern(text, op))})`;
        return `(${spec.sql}::text ${SQL_OPS[op]} ${bind(text.toLowerCase())})`;
      }
      case 'timestamp': {
        if (op === 'co' || op === 'sw' || op === 'ew') return `(${spec.sql}::text ILIKE ${bind(likePattern(String(value), op))})`;
        return `(${spec.sql} ${SQL_OPS[op]} ${bind(String(value), '::timestamptz')})`;
      }
      case 'reference': {
        const name = String(value);
        const condition =
          op === 'co' || op === 'sw' || op === 'ew'
            ? `x.name ILIKE ${bind(likePattern(name, op))}`
            : `x.name ${SQL_OPS[op]} ${bind(name, '::citext')}`;
        return `(${spec.sql} IN (SELECT x.id FROM ${spec.table} x WHERE x.tenant_id = e.tenant_id AND ${condition}))`;
      }
      case 'citext':
      case 'text':
      case 'exactText': {
        // Usernames and emails (the citext fields) are stored in NFC, so a decomposed spelling must find them.
        const text = spec.type === 'citext' ? String(value).normalize('NFC') : String(value);
        if (op === 'co' || op === 'sw' || op === 'ew') {
          return spec.type === 'exactText'
            ? `(${spec.sql} LIKE ${bind(likePattern(text, op))})`
            : `(${spec.sql} ILIKE ${bind(likePattern(text, op))})`;
        }
        if (spec.type === 'citext') return `(${spec.sql} ${SQL_OPS[op]} ${bind(text, '::citext')})`;
        if (spec.type === 'exactText') return `(${spec.sql} ${SQL_OPS[op]} ${bind(text)})`;
        return `(lower(${spec.sql}) ${SQL_OPS[op]} lower(${bind(text)}))`;
      }
    }
  };

  return compile(query);
}

/** Sort keys for lists. Nullable columns sort through COALESCE so keyset comparisons stay total. */
export const SORT_FIELDS = {
  id: { sql: 'e.id', cast: '::uuid' },
  username: { sql: 'e.username', cast: '::citext' },
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
