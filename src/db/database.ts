import { DataSource } from 'typeorm';
import AppDataSource from '../../ormconfig';
import { Config } from '../config';
import { EmbeddedDatabase, startEmbeddedDatabase } from './embedded';

export interface Database {
  dataSource: DataSource;
  embedded: EmbeddedDatabase | undefined;
  close(): Promise<void>;
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
      extra: { ...base.extra, max: embedded ? 1 : config.dbPoolSize, preparedStatements: !embedded },
    } as Partial<typeof dataSource.options>);
    if (!dataSource.isInitialized) await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
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
