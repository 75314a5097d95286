import { DataSource, DataSourceOptions, Logger } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../../migrations';
import { SnakeNamingStrategy } from './naming-strategy';

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
  /** Receives every SQL statement (tests count statements per request with it). */
  logger?: Logger;
  /** Named prepared statements for hot queries (src/services/sql.ts); off for the embedded database. */
  preparedStatements?: boolean;
}

/**
 * Every connection plans prepared statements once (a generic plan), never per execution. PostgreSQL's default picks a
 * custom plan whenever the first executions were cheaper with their actual values: the batched reads of src/services/
 * sql.ts take an array of ids, and a small first array made every later execution of that statement on that connection
 * plan again (measured: a third to half of PostgreSQL's time per SCIM GET, docs/benchmarks.md). Statements whose best
 * plan depends on the values (`planEachTime`) are sent with their values as literals, so they are still planned with
 * them.
 *
 * JIT compilation is off: a generic plan estimates a `LIMIT $n` as a tenth of the table, so at 100,000 employees a
 * SCIM page of 100 looked costly enough to JIT, and compiling its 52 functions took 100-170 ms at every execution
 * (auto_explain). An OLTP statement never runs long enough to win that back.
 *
 * SETs rather than startup options, which PgBouncer refuses unless told to ignore them. The embedded database runs no
 * prepared statements, and keeps PostgreSQL's defaults.
 */
async function genericPlans(client: { query(sql: string): Promise<unknown> }): Promise<void> {
  await client.query('SET plan_cache_mode = force_generic_plan; SET jit = off');
}

/** The pool options that go with named prepared statements (on) or with their absence (the embedded database). */
export function statementOptions(prepared: boolean): { preparedStatements: boolean; onConnect: typeof genericPlans | undefined } {
  return { preparedStatements: prepared, onConnect: prepared ? genericPlans : undefined };
}

/** The options shared by the app, the CLI, the tests and the TypeORM CLI. `synchronize` is never used. */
export function dataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    // Extensions are created by the migrations; TypeORM must not try at run time.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    applicationName: settings.applicationName ?? 'rollcall',
    logging: settings.logger ? ['query'] : false,
    ...(settings.logger ? { logger: settings.logger } : {}),
    extra: {
      max: settings.poolSize,
      // Fail a request instead of hanging when the pool is exhausted or the database is unreachable: the surfaces
      // answer 503 with Retry-After (src/services/errors.ts#isDatabaseUnavailable) well before an IdP's 60-s timeout.
      connectionTimeoutMillis: 5_000,
      // Notice a peer that vanished without closing the socket (a failover, a cut network) instead of waiting forever.
      keepAlive: true,
      // Each connection keeps its prepared statements and their plans (src/services/sql.ts); closing it drops them,
      // and the next request pays a new connection and plans every statement again (5-20 ms for each batched write's
      // shape). An IdP pushes changes in bursts minutes apart, so idle connections stay 10 minutes, not 30 s.
      idleTimeoutMillis: 600_000,
      // Idle connections never keep a process alive (a CLI command, a test's worker): the server's listening socket
      // does that, not its pool.
      allowExitOnIdle: true,
      ...statementOptions(settings.preparedStatements ?? true),
    },
  };
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}
