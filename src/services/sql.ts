import { escapeLiteral, type Pool, type QueryResultRow } from 'pg';
import { RequestContext } from './context';

/**
 * Hot read and single-statement write paths run through here, as named prepared statements: PostgreSQL then parses
 * and plans each of them once per connection instead of on every request, which measured roughly twice the
 * throughput for the employee lookups (docs/benchmarks.md). Outside a transaction they go straight to the `pg` pool;
 * inside one, to the transaction's own connection (parsing and planning had been 40 % of PostgreSQL's time for a
 * GraphQL updateEmployee).
 *
 * Connections plan prepared statements once (src/db/data-source.ts#genericPlans). A statement marked `planEachTime` is
 * sent with its values written into the text as literals instead, so that it is planned with them every time.
 *
 * Only the first MAX_PREPARED distinct statement texts get a name, so that generated SQL (SCIM filters of every
 * shape) cannot grow the prepared-statement cache of the database connections without bound.
 */
const MAX_PREPARED = 64;
const names = new Map<string, string>();

export interface QueryOptions {
  /**
   * Plan on every execution, with the values: for statements whose best plan depends on them, such as a substring
   * search, where a generic plan would scan the whole table.
   */
  planEachTime?: boolean;
}

export async function query<T extends QueryResultRow = Record<string, unknown>>(
  ctx: RequestContext,
  sql: string,
  params: unknown[],
  options: QueryOptions = {},
): Promise<T[]> {
  // The embedded database serves every socket connection from one PGlite session, where a name prepared through an
  // earlier connection would clash: it runs unnamed statements, planned with their values (its session keeps
  // PostgreSQL's default plan choice).
  const prepare = (ctx.manager.connection.options as { extra?: { preparedStatements?: boolean } }).extra?.preparedStatements !== false;
  const runner = ctx.manager.queryRunner;
  const inTransaction = runner !== undefined && !runner.isReleased;
  if (!prepare) {
    if (inTransaction) return ctx.manager.query(sql, params) as Promise<T[]>;
    // pglite-socket drops the connection after a statement fails outside a transaction (e.g. a unique violation),
    // which would fail the next request too: on the embedded database these statements run in one.
    return ctx.manager.transaction((manager) => manager.query(sql, params)) as Promise<T[]>;
  }
  // The transaction's connection (TypeORM's PostgresQueryRunner holds it once connected), or the pool.
  const connection: Pick<Pool, 'query'> | undefined = inTransaction
    ? (runner as unknown as { databaseConnection?: Pick<Pool, 'query'> }).databaseConnection
    : (ctx.manager.connection.driver as unknown as { master: Pool }).master;
  if (!connection) return ctx.manager.query(sql, params) as Promise<T[]>;
  // Through the DataSource's logger like every TypeORM query (query logging, and the tests' statement counts).
  ctx.manager.connection.logger.logQuery(sql, params);
  if (options.planEachTime) return (await connection.query<T>(withLiterals(sql, params))).rows;
  let name = names.get(sql);
  if (name === undefined && names.size < MAX_PREPARED) {
    name = `rollcall_${names.size}`;
    names.set(sql, name);
  }
  const result = await connection.query<T>(name ? { name, text: sql, values: params } : { text: sql, values: params });
  return result.rows;
}

/**
 * `sql` with each `$n` replaced by parameter n as a quoted literal (escaped by `pg`), for the simple query protocol.
 * The statement texts are Rollcall's own, where `$n` occurs only as a placeholder, each cast where its type matters.
 */
export function withLiterals(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= params.length) throw new Error(`The statement has no parameter $${n}`);
    const text = literalText(params[index]);
    return text === null ? 'NULL' : escapeLiteral(text);
  });
}

/** The text of a parameter as PostgreSQL reads it (an array as an array literal); NUL is refused as pg would. */
function literalText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (value instanceof Date) text = value.toISOString();
  else if (Array.isArray(value)) {
    const element = (e: unknown) => {
      const t = literalText(e);
      return t === null ? 'NULL' : `"${t.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    };
    text = `{${value.map(element).join(',')}}`;
  } else throw new Error(`A parameter of type ${typeof value} cannot be written as a literal`);
  if (text.includes('\0')) throw new Error('A statement parameter contains NUL');
  return text;
}
