import type { Pool, PoolClient } from 'pg';
import { logger } from '../logging';

/**
 * Plans a connection made while a table was tiny are dropped once the table has grown (issue 16).
 *
 * Pool connections keep one generic plan per prepared statement for their life (src/db/data-source.ts). Without
 * statistics PostgreSQL estimates `tenant_id = $1` from a table's pages: on a table of a few pages every index led by
 * `tenant_id` costs what the primary key costs, and PostgreSQL keeps the first it considers, the newest. So a
 * connection that first read an employee by id, or by externalId, while the tenant had a few dozen people kept a plan
 * that walks `uq_employees_tenant_username_key` with the tenant as its only condition, and the tenant's every row
 * once it has thousands. That is how an identity provider meets a new deployment: Okta provisions person by person
 * (a userName lookup, the create, then reads and updates by id). Measured (docs/benchmarks.md, "Session 22"): after
 * 48 people provisioned that way and 5,000 created, an externalId lookup read 2,675 index entries, a PUT 5,687, a
 * PATCH 4,781.
 *
 * A plan made past 32 pages picks the primary key (test/query-plans.test.ts). So each pool watches the size class of
 * every table of the schema (under 32 pages, under 128 pages, larger) and counts an epoch whenever one changes; a
 * connection whose plans are from an earlier epoch runs `DISCARD PLANS` before its next statement, which keeps its
 * prepared statements and plans each again at its next execution, the change feed's trigger's statements included.
 * A database goes through at most two such changes per table (a table that shrinks and grows back counts once), nearly
 * all in a new tenant's first minutes.
 */
const CLASS_BOUNDARIES_PAGES = [32, 128];

/** At most this often a pool reads the tables' sizes (a catalog query, off the request path). */
const CHECK_EVERY_MS = 1_000;

const SIZE_CLASSES = `
  SELECT c.relname AS name, (${CLASS_BOUNDARIES_PAGES.map((pages) => `(pg_relation_size(c.oid) >= ${pages * 8192})::int`).join(' + ')}) AS class
    FROM pg_class c
   WHERE c.relkind = 'r' AND c.relnamespace = to_regnamespace(current_schema())`;

class PoolEpochs {
  epoch = 0;
  /**
   * The largest class each table has had. Only a table passing its largest counts: a table that shrinks (VACUUM
   * truncates the empty end of event_pending) and grows back would otherwise make every connection plan again each time,
   * and plans made at the larger size hold at the smaller one.
   */
  private largest: Map<string, number> | undefined;
  private checkedAt = 0;
  private checking = false;
  /** The epoch each connection's plans are from. */
  readonly planned = new WeakMap<PoolClient, number>();

  constructor(private readonly pool: Pool) {}

  /** The current epoch; reads the sizes again, in the background, when the last reading is over a second old. */
  current(): number {
    if (!this.checking && Date.now() - this.checkedAt >= CHECK_EVERY_MS) void this.check();
    return this.epoch;
  }

  async check(): Promise<void> {
    this.checking = true;
    try {
      const { rows } = await this.pool.query<{ name: string; class: number }>(SIZE_CLASSES);
      const first = this.largest === undefined;
      const largest = (this.largest ??= new Map());
      const grown: string[] = [];
      for (const { name, class: size } of rows) {
        if (size > (largest.get(name) ?? 0)) grown.push(`${name}:${size}`);
        largest.set(name, Math.max(size, largest.get(name) ?? 0));
      }
      // The first reading finds the connections as they are: their plans are of the sizes it reads, or of none.
      if (!first && grown.length > 0) {
        this.epoch++;
        logger.debug({ epoch: this.epoch, tables: grown }, 'tables passed a size class: connections plan again');
      }
    } catch {
      // A failed reading (the database restarting, the pool closing) changes nothing; the next statement tries again.
    } finally {
      this.checkedAt = Date.now();
      this.checking = false;
    }
  }
}

const byPool = new WeakMap<Pool, PoolEpochs>();

function epochsOf(pool: Pool): PoolEpochs {
  let epochs = byPool.get(pool);
  if (!epochs) byPool.set(pool, (epochs = new PoolEpochs(pool)));
  return epochs;
}

/**
 * Before a statement on `client` (a connection of `pool`): drops its plans if they were made before a table changed
 * size class. A connection the pool just opened has no plans: it is of the current epoch.
 */
export async function freshPlans(pool: Pool, client: PoolClient): Promise<void> {
  const epochs = epochsOf(pool);
  const current = epochs.current();
  const planned = epochs.planned.get(client);
  if (planned === current) return;
  // Marked only once its plans are gone: a DISCARD that failed is tried again before the connection's next statement.
  if (planned !== undefined) await client.query('DISCARD PLANS');
  epochs.planned.set(client, current);
}

/** The pool's epoch as last read, without reading the sizes (tests: whether the app noticed a growth by itself). */
export function planEpoch(pool: Pool): number {
  return epochsOf(pool).epoch;
}

/** Reads the sizes now (tests: a growth becomes an epoch without waiting for the next reading). */
export function checkPlanEpoch(pool: Pool): Promise<void> {
  return epochsOf(pool).check();
}
