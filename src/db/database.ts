import { Client } from 'pg';
import { DataSource } from 'typeorm';
import AppDataSource from '../../ormconfig';
import { Config } from '../config';
import { statementOptions } from './data-source';
import { EmbeddedDatabase, startEmbeddedDatabase } from './embedded';

export interface Database {
  dataSource: DataSource;
  embedded: EmbeddedDatabase | undefined;
  close(): Promise<void>;
}

/** Key of the session advisory lock that serialises migrations across processes (any constant unique to Rollcall). */
const MIGRATION_LOCK_KEY = 4242002;

/**
 * Several instances starting at once on one PostgreSQL would each find the same migrations pending and run them
 * concurrently: one would fail on "relation already exists" (or on TypeORM creating its migrations table) and exit.
 * A session advisory lock, held on a connection of its own while TypeORM migrates on the pool, lets one instance
 * migrate while the others wait and then find nothing pending. The lock goes with the session if the process dies.
 */
async function migrateExclusively(dataSource: DataSource, url: string): Promise<void> {
  // A connection outside the pool, so that DB_POOL_SIZE=1 still leaves TypeORM one to migrate with.
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'rollcall-migrate-lock' });
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    // Ending the session releases the lock.
    await lock.end();
  }
}

/**
 * Opens the configured database and brings its schema up to date. With DATABASE_URL the `pg` pool connects to it;
 * without, the embedded database starts on DATA_DIR and the same DataSource connects to it through a loopback socket.
 */
export async function openDatabase(config: Config, dataSource: DataSource = AppDataSource): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  if (config.databaseUrl === undefined) {
    embedded = await startEmbeddedDatabase({ dataDir: config.dataDir });
  }
  try {
    const base = dataSource.options as { extra?: Record<string, unknown> };
    dataSource.setOptions({
      url: embedded ? embedded.url : config.databaseUrl,
      extra: { ...base.extra, max: embedded ? 1 : config.dbPoolSize, ...statementOptions(!embedded) },
    } as Partial<typeof dataSource.options>);
    if (!dataSource.isInitialized) await dataSource.initialize();
    if (embedded) await dataSource.runMigrations({ transaction: 'each' });
    else await migrateExclusively(dataSource, config.databaseUrl!);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
