import { DatabaseError, escapeLiteral, type Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { freshPlans } from '../db/plan-epochs';
import type { QueryResult as TypeOrmResult } from 'typeorm';
import { RequestContext } from './context';

/**
 * The one door through which services run SQL (an ESLint rule refuses `.query(` elsewhere in src/): `rows`, `one`,
 * `returning` and `affected` below. Every statement gets the same treatment, and the answer the same shape whatever
 * the statement and the database.
 *
 * Statements run as named prepared statements: PostgreSQL then parses and plans each of them once per connection
 * instead of on every request, which measured roughly twice the throughput for the employee lookups
 * (docs/benchmarks.md). Outside a transaction they go straight to the `pg` pool; inside one, to the transaction's own
 * connection (parsing and planning had been 40 % of PostgreSQL's time for a GraphQL updateEmployee).
 *
 * Connections plan prepared statements once (src/db/data-source.ts#genericPlans). A statement marked `planEachTime` is
 * sent with its values written into the text as literals instead, so that it is planned with them every time. Before
 * each statement, a connection whose plans were made while some table was in a smaller size class drops them
 * (src/db/plan-epochs.ts): a plan made on a nearly empty table reads a grown tenant whole.
 *
 * Only the first MAX_PREPARED distinct statement texts get a name, so that generated SQL (SCIM filters of every
 * shape) cannot grow the prepared-statement cache of the database connections without bound. The cap was 64 while
 * only the hot employee statements came here; with the groups (about 20 fixed texts), the catalog (about 40: one per
 * table, sort key and direction) and the employee statements shaped by what a GraphQL query selects or an update
 * sets, a run of the SCIM, GraphQL and CLI tests used about 120 fixed texts (and about 70 filter shapes). 64 would
 * have gone to whatever ran first after a start, leaving later hot statements unnamed; 256 names them all with
 * room for an IdP's filter shapes. PostgreSQL keeps each name's parse tree and generic plan in every connection that
 * ran it.
 */
const MAX_PREPARED = 256;
const names = new Map<string, string>();

/**
 * Where a statement runs: a request context, or `{ manager }` for the few callers that run before a tenant is known
 * (token authentication, the CLI, start-up bootstrap, the provisioning-log writer and purge, the readiness probe).
 */
export type SqlContext = Pick<RequestContext, 'manager'>;

/**
 * How counts run: planned with their values (the tenant's id written in). A count must read the tenant's rows, and
 * only the statistics of that id tell whether an index or the whole table is the cheaper way: a generic plan divides
 * the table by the number of tenants the statistics saw, so beside one large analyzed tenant it counted a new tenant
 * of 200 people by reading all 100,000 rows (test/query-plans.test.ts). Counts are shared in flight and cached per
 * walk, so planning each one costs little.
 */
export const COUNT_PLAN: QueryOptions = { planEachTime: true };

export interface QueryOptions {
  /**
   * Plan on every execution, with the values: for statements whose best plan depends on them, such as a substring
   * search, where a generic plan would scan the whole table.
   */
  planEachTime?: boolean;
  /**
   * false: run unnamed (still with bind parameters), for a text that comes in many shapes, such as a multi-row
   * INSERT with one shape per batch size, which would otherwise use up the names.
   */
  prepare?: boolean;
}

/** All the rows a statement gives. */
export async function rows<T extends QueryResultRow = Record<string, unknown>>(
  ctx: SqlContext,
  sql: string,
  params: readonly unknown[] = [],
  options: QueryOptions = {},
): Promise<T[]> {
  return (await run<T>(ctx, sql, params, options)).rows;
}

/** The first row a statement gives, or undefined when it gives none. */
export async function one<T extends QueryResultRow = Record<string, unknown>>(
  ctx: SqlContext,
  sql: string,
  params: readonly unknown[] = [],
  options: QueryOptions = {},
): Promise<T | undefined> {
  return (await run<T>(ctx, sql, params, options)).rows[0];
}

/**
 * The rows an INSERT, UPDATE or DELETE ... RETURNING gives back. The same as `rows` (`run` gives every statement's
 * rows in one shape), named apart so that a write reads as one where it is called.
 */
export const returning: typeof rows = rows;

/** How many rows a write without RETURNING changed (e.g. the provisioning-log purge). */
export async function affected(ctx: SqlContext, sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<number> {
  return (await run(ctx, sql, params, options)).rowCount;
}

async function run<T extends QueryResultRow>(
  ctx: SqlContext,
  sql: string,
  params: readonly unknown[],
  options: QueryOptions,
): Promise<{ rows: T[]; rowCount: number }> {
  const values = params as unknown[];
  // The embedded database serves every socket connection from one PGlite session, where a name prepared through an
  // earlier connection would clash: it runs unnamed statements, planned with their values (its session keeps
  // PostgreSQL's default plan choice).
  const prepare = (ctx.manager.connection.options as { extra?: { preparedStatements?: boolean } }).extra?.preparedStatements !== false;
  const runner = ctx.manager.queryRunner;
  const inTransaction = runner !== undefined && !runner.isReleased;
  if (!prepare) {
    if (inTransaction) return viaTypeOrm(ctx, sql, values);
    // pglite-socket drops the connection after a statement fails outside a transaction (e.g. a unique violation),
    // which would fail the next request too: on the embedded database these statements run in one.
    return ctx.manager.transaction((manager) => viaTypeOrm({ manager }, sql, values));
  }
  // The transaction's connection (TypeORM's PostgresQueryRunner holds it once connected), or one from the pool.
  const pool = (ctx.manager.connection.driver as unknown as { master: Pool }).master;
  const held = inTransaction ? (runner as unknown as { databaseConnection?: PoolClient }).databaseConnection : undefined;
  if (inTransaction && !held) return viaTypeOrm(ctx, sql, values);
  // Through the DataSource's logger like every TypeORM query (query logging, and the tests' statement counts).
  ctx.manager.connection.logger.logQuery(sql, values);
  let config: QueryConfig;
  if (options.planEachTime) config = { text: withLiterals(sql, values) };
  else {
    let name = names.get(sql);
    if (name === undefined && options.prepare !== false && names.size < MAX_PREPARED) {
      name = `rollcall_${names.size}`;
      names.set(sql, name);
    }
    config = name ? { name, text: sql, values } : { text: sql, values };
  }
  if (held) {
    await freshPlans(pool, held);
    return counted(await submit<T>(held, config));
  }
  const client = await pool.connect();
  let broken: Error | undefined;
  // A connection lost while checked out emits 'error' (unheard, it would end the process), and its statement fails.
  const lost = (error: Error) => (broken = error);
  client.on('error', lost);
  try {
    await freshPlans(pool, client);
    return counted(await submit<T>(client, config));
  } catch (error) {
    // An error PostgreSQL answered (a unique violation, say) leaves the connection as good as before, with its
    // prepared statements; pg's own pool.query closed it on any error, so a 409 cost the next request a new connection
    // that prepared and planned everything again. Any other error (the socket, a protocol error) closes it.
    if (!isDatabaseError(error)) broken ??= error as Error;
    throw error;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}

/**
 * `client.query` with a callback. Without one, pg answers through a promise of its own, which cost twice the CPU per
 * statement of 100 rows (1.1 against 0.5-0.6 ms, 12,000 statements on 4 connections; the extra time is the garbage
 * collector's, a quarter of all samples against 4 %): a SCIM list page cost 0.4-0.7 ms more server CPU that way.
 */
function submit<T extends QueryResultRow>(client: PoolClient, config: QueryConfig): Promise<QueryResult<T>> {
  return new Promise((resolve, reject) => client.query<T>(config, (error, result) => (error ? reject(error) : resolve(result))));
}

/**
 * An error PostgreSQL itself answered (it carries a SQLSTATE), after which the connection is ready for the next
 * statement: not a connection exception (class 08) nor an operator intervention such as a terminated session (57P).
 */
function isDatabaseError(error: unknown): boolean {
  return error instanceof DatabaseError && typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && !/^(08|57P)/.test(error.code);
}

/** Through a TypeORM query runner: the transaction's (which connects when it has not yet), else one of its own. */
async function viaTypeOrm<T>(ctx: SqlContext, sql: string, values: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
  const current = ctx.manager.queryRunner;
  const runner = current && !current.isReleased ? current : ctx.manager.connection.createQueryRunner();
  try {
    return structured(await runner.query(sql, values, true));
  } finally {
    if (runner !== current) await runner.release();
  }
}

function counted<T extends QueryResultRow>(result: QueryResult<T>): { rows: T[]; rowCount: number } {
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

/**
 * A TypeORM answer asked for as a structured result: TypeORM's plain answer to an UPDATE or DELETE is
 * `[rows, affected]` and to every other statement the rows, so callers had to tell the two apart; this is the one
 * place that reads TypeORM's answer.
 */
function structured<T>(result: TypeOrmResult): { rows: T[]; rowCount: number } {
  return { rows: (result.records ?? []) as T[], rowCount: result.affected ?? 0 };
}

/**
 * A FROM item: the rows of `table` (as `alias`) of tenant `tenant` whose `column` is one of the keys of the array
 * parameter `keys`, each read by a subquery of its own (`OFFSET 0` keeps PostgreSQL from merging it into a join).
 * Planned alone, a subquery with the tenant and one key has one good plan, the index holding both, whatever the
 * statistics say; merged, or as `column = ANY(keys)`, PostgreSQL without statistics for the tenant believed it held a
 * row or two and read all its rows from an index on `tenant_id` alone (issue 16, test/query-plans.test.ts). Put no
 * `deleted_at IS NULL` inside: it would make partial indexes without the key candidates; test it on the result.
 */
export function byKeys(table: string, alias: string, column: string, tenant: string, keys: string): string {
  return `unnest(${keys}) AS _k(key) CROSS JOIN LATERAL (SELECT * FROM ${table} ${alias} WHERE ${alias}.tenant_id = ${tenant} AND ${alias}.${column} = _k.key OFFSET 0) ${alias}`;
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
