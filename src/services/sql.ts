import type { Pool, QueryResultRow } from 'pg';
import { RequestContext } from './context';

/**
 * Hot read and single-statement write paths run through here. Outside a transaction they go straight to the `pg`
 * pool as named prepared statements: PostgreSQL then parses and plans each of them once per connection instead of on
 * every request, which measured roughly twice the throughput for the employee lookups (docs/benchmarks.md). Inside a
 * transaction they use the transaction's connection like any other query.
 *
 * Only the first MAX_PREPARED distinct statement texts get a name, so that generated SQL (SCIM filters of every
 * shape) cannot grow the prepared-statement cache of the database connections without bound.
 */
const MAX_PREPARED = 64;
const names = new Map<string, string>();

export interface QueryOptions {
  /**
   * Plan on every execution (no name): for statements whose best plan depends on the values, such as a substring
   * search, where a prepared statement's generic plan would scan the whole table.
   */
  planEachTime?: boolean;
}

export async function query<T extends QueryResultRow = Record<string, unknown>>(
  ctx: RequestContext,
  sql: string,
  params: unknown[],
  options: QueryOptions = {},
): Promise<T[]> {
  const runner = ctx.manager.queryRunner;
  if (runner && !runner.isReleased) return ctx.manager.query(sql, params) as Promise<T[]>;
  const pool = (ctx.manager.connection.driver as unknown as { master: Pool }).master;
  // The embedded database serves every socket connection from one PGlite session, where a name prepared through an
  // earlier connection would clash: it runs unnamed statements.
  const prepare = (ctx.manager.connection.options as { extra?: { preparedStatements?: boolean } }).extra?.preparedStatements !== false;
  if (!prepare) {
    // pglite-socket drops the connection after a statement fails outside a transaction (e.g. a unique violation),
    // which would fail the next request too: on the embedded database these statements run in one.
    return ctx.manager.transaction((manager) => manager.query(sql, params)) as Promise<T[]>;
  }
  let name = options.planEachTime ? undefined : names.get(sql);
  if (name === undefined && !options.planEachTime && names.size < MAX_PREPARED) {
    name = `rollcall_${names.size}`;
    names.set(sql, name);
  }
  // Through the DataSource's logger like every TypeORM query (query logging, and the tests' statement counts).
  ctx.manager.connection.logger.logQuery(sql, params);
  const result = await pool.query<T>(name ? { name, text: sql, values: params } : { text: sql, values: params });
  return result.rows;
}
