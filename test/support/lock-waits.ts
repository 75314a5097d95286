import type { QueryRunner } from 'typeorm';

/**
 * Resolves once some session of this database waits for a lock: a test holding a row in one transaction (`holder`)
 * knows the app's statement has reached that row. Fails after 10 s, naming `what` should have waited.
 *
 * Inside a transaction PostgreSQL answers `pg_stat_activity` from a snapshot taken at its first read there: without
 * `pg_stat_clear_snapshot()` a holder that looked before the app's statement arrived would never see it wait (a
 * test failed that way 2 times in 10).
 */
export async function someoneWaitsForALock(holder: QueryRunner, what: string): Promise<void> {
  for (let waited = 0; ; waited += 20) {
    await holder.query('SELECT pg_stat_clear_snapshot()');
    const [{ n }] = await holder.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (n > 0) return;
    if (waited > 10_000) throw new Error(`${what} never waited for the held row`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
