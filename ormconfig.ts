import 'reflect-metadata';
import { createDataSource } from './src/db/data-source';

/**
 * The one DataSource of the app and of the TypeORM CLI (`npx typeorm-ts-node-commonjs -d ormconfig.ts ...`).
 * With DATABASE_URL unset the app swaps in the embedded database's address at start-up (see src/db/database.ts);
 * the TypeORM CLI itself needs DATABASE_URL. For migrations on the embedded database use `npm run migrate`.
 */
const AppDataSource = createDataSource({
  url: process.env.DATABASE_URL ?? 'postgres://embedded.invalid/rollcall',
  poolSize: Number(process.env.DB_POOL_SIZE ?? 10) || 10,
});

// The TypeORM CLI insists on exactly one exported DataSource.
export default AppDataSource;
