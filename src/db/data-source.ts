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
      idleTimeoutMillis: 30_000,
      preparedStatements: settings.preparedStatements ?? true,
    },
  };
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}
