import { DataSource } from 'typeorm';
import { logger } from '../logging';

/** How often the server checks whether the embedded database needs a VACUUM (ANALYZE). */
export const EMBEDDED_MAINTENANCE_INTERVAL_MS = 10 * 60_000;

/**
 * PGlite has no autovacuum (nor a statistics collector that counts changes): without this, the embedded database never
 * reclaims dead rows, never merges the search index's pending list beyond what inserts do, and keeps the row estimates
 * of its first ANALYZE, so plans drift as the directory grows (docs/benchmarks.md). The server runs `VACUUM (ANALYZE)`
 * every interval, only when something was written since the last one: the WAL position is the cheap, complete signal
 * (every write moves it; reads normally do not). A run holds the single connection for its duration, about 0.1 s per
 * 20,000 rows, so requests wait that long once per interval of activity.
 */
export class EmbeddedMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private lastPosition: string | undefined;
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly intervalMs = EMBEDDED_MAINTENANCE_INTERVAL_MS,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.runIfChanged().catch((err: unknown) => logger.warn({ err }, 'embedded database maintenance failed')), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Vacuums and analyzes when the database changed since the last run; true when it ran. One run at a time. */
  runIfChanged(): Promise<boolean> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer and waits for a run in progress (before the database closes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<boolean> {
    const before = await this.position();
    if (before === this.lastPosition) return false;
    const started = performance.now();
    await this.dataSource.query('VACUUM (ANALYZE)');
    // VACUUM writes WAL itself: the position after it is the one that means "nothing changed since".
    this.lastPosition = await this.position();
    logger.info({ ms: Math.round(performance.now() - started) }, 'embedded database vacuumed and analyzed');
    return true;
  }

  private async position(): Promise<string> {
    const rows: { lsn: string }[] = await this.dataSource.query('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0].lsn;
  }
}
