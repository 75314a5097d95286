import { QueryOp, QueryValue, likePattern } from './employee-query';
import { isUuid } from './validation';

/**
 * A transport-neutral query over groups (the SCIM filter is translated into it) and its compiler to parameterised
 * SQL over alias `g`. Values only ever travel as bind parameters; SQL identifiers come from the fixed tables below.
 */
export type GroupQueryField = keyof typeof GROUP_FIELDS;

export type GroupQuery =
  | { kind: 'compare'; field: GroupQueryField; op: QueryOp; value: QueryValue }
  | { kind: 'present'; field: GroupQueryField }
  /** The group has this employee as a member (SCIM `members[value eq "<id>"]`). */
  | { kind: 'hasMember'; employeeId: string }
  /** The group has at least one member (SCIM `members pr`). */
  | { kind: 'hasMembers' }
  | { kind: 'and' | 'or'; left: GroupQuery; right: GroupQuery }
  | { kind: 'not'; query: GroupQuery }
  | { kind: 'const'; value: boolean };

type FieldType = 'uuid' | 'citext' | 'exactText' | 'timestamp';

export const GROUP_FIELDS = {
  id: { type: 'uuid', sql: 'g.id' },
  displayName: { type: 'citext', sql: 'g.display_name' },
  externalId: { type: 'exactText', sql: 'g.external_id' },
  createdAt: { type: 'timestamp', sql: 'g.created_at' },
  updatedAt: { type: 'timestamp', sql: 'g.updated_at' },
} as const satisfies Record<string, { type: FieldType; sql: string }>;

export function groupFieldType(field: GroupQueryField): FieldType {
  return GROUP_FIELDS[field].type;
}

/** Sort keys for group lists; each is followed by `g.id` so the order is total and stable. */
export const GROUP_SORT_FIELDS = {
  displayName: 'g.display_name',
  id: 'g.id',
  externalId: "COALESCE(g.external_id, '')",
  createdAt: 'g.created_at',
  updatedAt: 'g.updated_at',
} as const;
export type GroupSortField = keyof typeof GROUP_SORT_FIELDS;

/** The memberships of `g` (deleted employees have none: see group.service.ts). */
const MEMBERS_OF_G = 'SELECT 1 FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id';

const SQL_OPS: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** Compiles a query to a SQL boolean expression over `g`; `params` receives the values. */
export function compileGroupQuery(query: GroupQuery, params: unknown[]): string {
  const bind = (value: unknown, cast = ''): string => {
    params.push(value);
    return `$${params.length}${cast}`;
  };

  const compare = (field: GroupQueryField, op: QueryOp, value: QueryValue): string => {
    const { type, sql } = GROUP_FIELDS[field];
    if (value === null) {
      if (op === 'eq') return `(${sql} IS NULL)`;
      if (op === 'ne') return `(${sql} IS NOT NULL)`;
      return 'FALSE';
    }
    if (op === 'ne') return `(${sql} IS NULL OR NOT COALESCE(${compare(field, 'eq', value)}, FALSE))`;
    const text = String(value);
    if (op === 'co' || op === 'sw' || op === 'ew') {
      const operator = type === 'exactText' ? 'LIKE' : 'ILIKE';
      const column = type === 'citext' || type === 'exactText' ? sql : `${sql}::text`;
      return `(${column} ${operator} ${bind(likePattern(text, op))})`;
    }
    switch (type) {
      case 'uuid':
        // Compare as uuid, never `id::text`, so the primary key index serves it.
        if (op === 'eq') return isUuid(text) ? `(${sql} = ${bind(text.toLowerCase(), '::uuid')})` : 'FALSE';
        return `(${sql}::text ${SQL_OPS[op]} ${bind(text.toLowerCase())})`;
      case 'citext':
        return `(${sql} ${SQL_OPS[op]} ${bind(text, '::citext')})`;
      case 'exactText':
        return `(${sql} ${SQL_OPS[op]} ${bind(text)})`;
      case 'timestamp':
        return `(${sql} ${SQL_OPS[op]} ${bind(text, '::timestamptz')})`;
    }
  };

  const compile = (q: GroupQuery): string => {
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
        const { type, sql } = GROUP_FIELDS[q.field];
        return type === 'citext' || type === 'exactText' ? `(${sql} IS NOT NULL AND ${sql} <> '')` : `(${sql} IS NOT NULL)`;
      }
      case 'hasMember':
        if (!isUuid(q.employeeId)) return 'FALSE';
        return `EXISTS (${MEMBERS_OF_G} AND m.employee_id = ${bind(q.employeeId.toLowerCase(), '::uuid')})`;
      case 'hasMembers':
        return `EXISTS (${MEMBERS_OF_G})`;
      case 'compare':
        return compare(q.field, q.op, q.value);
    }
  };

  return compile(query);
}
