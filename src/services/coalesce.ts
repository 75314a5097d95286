import DataLoader from 'dataloader';
import { RequestContext } from './context';

/** Most keys one shared statement carries; more concurrent requests start another statement. */
const MAX_BATCH = 64;

/**
 * Concurrent requests of one tenant that read the same kind of row by key share one statement (`... = ANY($2)`).
 *
 * Why: on this kind of machine a round trip to PostgreSQL costs the server far more than the statement itself does
 * (each one is a socket write that wakes a database backend; docs/benchmarks.md). The requests that arrive in one
 * turn of the event loop are collected until the loop's check phase (setImmediate), so a lone request waits for
 * nothing but the end of the current turn, and sixteen concurrent SCIM GETs cost one or two round trips instead of
 * sixteen.
 *
 * Inside a transaction a read must see the transaction's own writes, on its connection: it runs alone there.
 */
export class Coalesced<K, V> {
  private readonly loaders = new Map<string, DataLoader<{ ctx: RequestContext; key: K }, V | undefined, K>>();

  /**
   * @param load reads the rows of many keys of one tenant in one statement, and gives each found key its value
   * @param keyOf how a found value and a requested key compare (e.g. lower-cased for case-insensitive keys)
   */
  constructor(
    private readonly load: (ctx: RequestContext, keys: readonly K[]) => Promise<Map<string, V>>,
    private readonly keyOf: (key: K) => string = String,
  ) {}

  async get(ctx: RequestContext, key: K): Promise<V | undefined> {
    const runner = ctx.manager.queryRunner;
    if (runner && !runner.isReleased) return (await this.load(ctx, [key])).get(this.keyOf(key));
    let loader = this.loaders.get(ctx.tenantId);
    if (!loader) {
      loader = new DataLoader(
        async (requests) => {
          const found = await this.load(requests[0].ctx, requests.map((r) => r.key));
          return requests.map((r) => found.get(this.keyOf(r.key)));
        },
        { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (run) => setImmediate(run) },
      );
      this.loaders.set(ctx.tenantId, loader);
    }
    return loader.load({ ctx, key });
  }
}
