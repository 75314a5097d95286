import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/** The app's pg pool behind a TypeORM DataSource (each of its connections has its own prepared statements and plans). */
export function appPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * Runs `work` on every connection of the pool at once. Work the requests left behind (the provisioning log's and the
 * tokens' write-behind) may hold the very connection the requests ran on, the pool's most recently released: asking
 * for totalCount connections then opens a new one in its place and misses it (CI saw 0 prepared executions that way).
 * So it waits until every connection is idle, then takes them all in the same turn of the event loop.
 */
export async function onEveryConnection<R>(pool: Pool, work: (client: PoolClient) => Promise<R>): Promise<R[]> {
  for (const started = Date.now(); pool.idleCount < pool.totalCount || pool.waitingCount > 0; ) {
    if (Date.now() - started > 10_000) throw new Error(`the pool stayed busy: ${pool.totalCount - pool.idleCount} connection(s) in use`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
  try {
    return await Promise.all(clients.map(work));
  } finally {
    for (const client of clients) client.release();
  }
}

/** A node of `EXPLAIN (FORMAT JSON)`. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}
