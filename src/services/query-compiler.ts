import { isUuid } from './validation';

/**
 * The one compiler from a transport-neutral query (a SCIM filter translated by src/scim) to a parameterised SQL
 * boolean expression. Each table (employee-query.ts, group-query.ts) gives its FIELDS table, the only place SQL
 * identifiers come from, and compiles the nodes and field types only it has; every value travels as a bind parameter.
 */
export type QueryOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type QueryValue = string | number | boolean | null;

/** The column types every table can have; a table compiles comparisons of its own types itself. */
export type ColumnType = 'uuid' | 'citext' | 'text' | 'exactText' | 'timestamp';

export interface ColumnSpec {
  readonly type: ColumnType;
  /** SQL expression over the table's alias. */
  readonly sql: string;
  /** The column is stored in NFC, so a decomposed spelling in a filter must find it. */
  readonly nfc?: boolean;
  /**
   * The column holds a canonical key computed in Rollcall (usernames: username-key.ts): a filter's value is keyed the
   * same way and compared exactly (type exactText), never by the database's locale.
   */
  readonly key?: (value: string) => string;
}

/** A field of a type only one table has (an employee's status, a reference by name). */
export interface OtherSpec {
  readonly type: string;
  readonly sql: string;
}

export type Query<F extends string, N = never> =
  | { kind: 'compare'; field: F; op: QueryOp; value: QueryValue }
  | { kind: 'present'; field: F }
  | { kind: 'and' | 'or'; left: Query<F, N>; right: Query<F, N> }
  | { kind: 'not'; query: Query<F, N> }
  | { kind: 'const'; value: boolean }
  | N;

/** Pushes a value onto the parameters and answers its placeholder (`$3::uuid`). */
export type Bind = (value: unknown, cast?: string) => string;

export interface QueryTable<F extends string, X extends OtherSpec = never, N = never> {
  readonly fields: { readonly [K in F]: ColumnSpec | X };
  /** Compiles `eq`, `gt`, ..., `co` of a non-null value for a field of the table's own type. */
  readonly compareOther?: (spec: X, op: Exclude<QueryOp, 'ne'>, value: string | number | boolean, bind: Bind) => string;
  /** Compiles the table's own nodes. */
  readonly node?: (node: N, bind: Bind) => string;
}

/** Escapes LIKE metacharacters so that user text matches literally. */
export function likePattern(value: string, op: 'co' | 'sw' | 'ew'): string {
  const escaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
  return op === 'co' ? `%${escaped}%` : op === 'sw' ? `${escaped}%` : `%${escaped}`;
}

const SQL_OPS: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

export function sqlOperator(op: 'eq' | 'gt' | 'ge' | 'lt' | 'le'): string {
  return SQL_OPS[op];
}

export function isSubstringOp(op: QueryOp): op is 'co' | 'sw' | 'ew' {
  return op === 'co' || op === 'sw' || op === 'ew';
}

const COLUMN_TYPES: readonly string[] = ['uuid', 'citext', 'text', 'exactText', 'timestamp'] satisfies ColumnType[];

function isColumn(spec: ColumnSpec | OtherSpec): spec is ColumnSpec {
  return COLUMN_TYPES.includes(spec.type);
}

/** Compiles `query` to a SQL boolean expression; `params` receives the values, `$n` placeholders reference them. */
export function compileWhere<F extends string, X extends OtherSpec, N>(
  table: QueryTable<F, X, N>,
  query: Query<F, N>,
  params: unknown[],
): string {
  const bind: Bind = (value, cast = '') => {
    params.push(value);
    return `$${params.length}${cast}`;
  };

  const column = (spec: ColumnSpec, op: Exclude<QueryOp, 'ne'>, value: string | number | boolean): string => {
    const { type, sql } = spec;
    // Usernames and emails are stored in NFC, so a decomposed spelling must find them.
    const text = spec.key ? spec.key(String(value)) : spec.nfc ? String(value).normalize('NFC') : String(value);
    if (isSubstringOp(op)) {
      if (type === 'exactText') return `(${sql} LIKE ${bind(likePattern(text, op))})`;
      const operand = type === 'uuid' || type === 'timestamp' ? `${sql}::text` : sql;
      return `(${operand} ILIKE ${bind(likePattern(text, op))})`;
    }
    switch (type) {
      case 'uuid':
        // Never compare `id::text = $1`: that hides the primary key index (see docs/architecture.md).
        if (op === 'eq') return isUuid(text) ? `(${sql} = ${bind(text.toLowerCase(), '::uuid')})` : 'FALSE';
        return `(${sql}::text ${SQL_OPS[op]} ${bind(text.toLowerCase())})`;
      case 'timestamp':
        return `(${sql} ${SQL_OPS[op]} ${bind(text, '::timestamptz')})`;
      case 'citext':
        return `(${sql} ${SQL_OPS[op]} ${bind(text, '::citext')})`;
      case 'exactText':
        return `(${sql} ${SQL_OPS[op]} ${bind(text)})`;
      case 'text':
        return `(lower(${sql}) ${SQL_OPS[op]} lower(${bind(text)}))`;
    }
  };

  const compare = (field: F, op: QueryOp, value: QueryValue): string => {
    const spec: ColumnSpec | X = table.fields[field];
    if (value === null) {
      if (op === 'eq') return `(${spec.sql} IS NULL)`;
      if (op === 'ne') return `(${spec.sql} IS NOT NULL)`;
      return 'FALSE';
    }
    if (op === 'ne') return `(${spec.sql} IS NULL OR NOT COALESCE(${compare(field, 'eq', value)}, FALSE))`;
    if (isColumn(spec)) return column(spec, op, value);
    if (!table.compareOther) throw new Error(`No comparison for fields of type ${spec.type}`);
    return table.compareOther(spec as X, op, value, bind);
  };

  const compile = (q: Query<F, N>): string => {
    const node = q as Query<F, never>;
    switch (node.kind) {
      case 'const':
        return node.value ? 'TRUE' : 'FALSE';
      case 'and':
        return `(${compile(node.left)} AND ${compile(node.right)})`;
      case 'or':
        return `(${compile(node.left)} OR ${compile(node.right)})`;
      case 'not':
        return `(NOT COALESCE(${compile(node.query)}, FALSE))`;
      case 'present': {
        const spec: ColumnSpec | X = table.fields[node.field];
        if (spec.type === 'text' || spec.type === 'citext' || spec.type === 'exactText') {
          return `(${spec.sql} IS NOT NULL AND ${spec.sql} <> '')`;
        }
        return `(${spec.sql} IS NOT NULL)`;
      }
      case 'compare':
        return compare(node.field, node.op, node.value);
      default:
        if (!table.node) throw new Error(`Unknown query node ${JSON.stringify(q)}`);
        return table.node(q as N, bind);
    }
  };

  return compile(query);
}
