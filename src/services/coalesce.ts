import DataLoader from 'dataloader';
import { RequestContext } from './context';

/** Most items one shared statement carries; more concurrent requests start another statement. */
const MAX_BATCH = 64;

/**
 * Concurrent requests of one tenant that run the same kind of statement share one: reads by key (`... = ANY($2)`,
 * see Coalesced) and optimistic updates (one UPDATE ... FROM a list of rows; see the employee service).
 *
 * Why: on this kind of machine a round trip to PostgreSQL costs the server more than the statement itself does (each
 * one is a socket write that wakes a database backend), and each committed write costs PostgreSQL a WAL flush
 * (docs/benchmarks.md). The requests that arrive in one turn of the event loop are collected until the loop's check
 * phase (setImmediate), so a lone request waits for nothing but the end of the current turn.
 *
 * Inside a transaction a statement must run on the transaction's connection and see its writes: it runs alone there.
 */
export class Batched<T, R> {
  /** One loader for every tenant: a batch is split by tenant when it runs, so no per-tenant state accumulates. */
  private readonly loader: DataLoader<{ ctx: RequestContext; item: T }, R>;

  /** @param run runs the items of one tenant and gives each its result, or an Error for it alone, in order */
  constructor(private readonly run: (ctx: RequestContext, items: readonly T[]) => Promise<(R | Error)[]>) {
    this.loader = new DataLoader((requests) => this.runByTenant(requests), {
      cache: false,
      maxBatchSize: MAX_BATCH,
      batchScheduleFn: (run) => setImmediate(run),
    });
  }

  async do(ctx: RequestContext, item: T): Promise<R> {
    const runner = ctx.manager.queryRunner;
    if (runner && !runner.isReleased) {
      const [result] = await this.run(ctx, [item]);
      if (result instanceof Error) throw result;
      return result;
    }
    return this.loader.load({ ctx, item });
  }

  private async runByTenant(requests: readonly { ctx: RequestContext; item: T }[]): Promise<(R | Error)[]> {
    const byTenant = new Map<string, number[]>();
    requests.forEach((request, i) => {
      const positions = byTenant.get(request.ctx.tenantId);
      if (positions) positions.push(i);
      else byTenant.set(request.ctx.tenantId, [i]);
    });
    const results: (R | Error)[] = new Array(requests.length);
    await Promise.all(
      [...byTenant.values()].map(async (positions) => {
        let outcome: (R | Error)[];
        try {
          outcome = await this.run(requests[positions[0]].ctx, positions.map((i) => requests[i].item));
        } catch (error) {
          outcome = positions.map(() => asError(error));
        }
        positions.forEach((i, k) => (results[i] = outcome[k]));
      }),
    );
    return results;
  }
}

/** What a batch gives a request that failed: the error itself when it is one. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Reads of one tenant's rows by key, shared by concurrent requests (see Batched). */
export class Coalesced<K, V> {
  private readonly batched: Batched<K, V | undefined>;

  /**
   * @param load reads the rows of many keys of one tenant in one statement, and gives each found key its value
   * @param keyOf how a found value and a requested key compare (e.g. lower-cased for case-insensitive keys)
   */
  constructor(load: (ctx: RequestContext, keys: readonly K[]) => Promise<Map<string, V>>, keyOf: (key: K) => string = String) {
    this.batched = new Batched(async (ctx, keys) => {
      const found = await load(ctx, keys);
      return keys.map((key) => found.get(keyOf(key)));
    });
  }

  get(ctx: RequestContext, key: K): Promise<V | undefined> {
    return this.batched.do(ctx, key);
  }
}
