import { RequestContext } from './context';

/** Most items one shared statement carries; more concurrent requests start another statement. */
const MAX_BATCH = 64;

interface Waiting<T, R> {
  ctx: RequestContext;
  item: T;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

/** One tenant's requests that wait for a statement, and its statements under way. */
interface TenantQueue<T, R> {
  waiting: Waiting<T, R>[];
  running: number;
  scheduled: boolean;
}

/**
 * Concurrent requests of one tenant that run the same kind of statement share one: reads by key (`... = ANY($2)`,
 * see Coalesced) and optimistic updates (one UPDATE ... FROM a list of rows; see the employee service).
 *
 * Why: on this kind of machine a round trip to PostgreSQL costs the server more than the statement itself does (each
 * one is a socket write that wakes a database backend), and each committed write costs PostgreSQL a WAL flush
 * (docs/benchmarks.md). The requests that arrive in one turn of the event loop are collected until the loop's check
 * phase (setImmediate), so a lone request waits for nothing but the end of the current turn.
 *
 * `inFlight` caps the statements of one tenant under way at once; requests that arrive meanwhile wait and go together
 * as the next statement when one finishes. For writes whose statement costs PostgreSQL much per execution (creates
 * and PUTs: the change feed's trigger, the executor's start, the commit), one at a time makes the batches larger (8
 * instead of 5 at 16 concurrent requests) and cut PostgreSQL's CPU per create by a sixth, per PUT by a fifth
 * (docs/benchmarks.md, "Session 25"). It is per tenant: one tenant's import never holds back another's requests. A statement run this way must not
 * wait for other transactions' locks, or every request of the tenant waits with it.
 *
 * `moreWhenWaiting` lets one more statement start over the cap once that many requests wait. One at a time, each
 * statement's commit waits for its WAL flush before the next statement can start; when the disk is slow (another
 * program writing, a checkpoint) that wait, not the work, set the rate, and the requests piled up meanwhile are a
 * full batch of their own.
 *
 * Inside a transaction a statement must run on the transaction's connection and see its writes: it runs alone there.
 */
export class Batched<T, R> {
  /** Only tenants with requests waiting or under way have an entry: no per-tenant state accumulates. */
  private readonly tenants = new Map<string, TenantQueue<T, R>>();
  private readonly inFlight: number;
  private readonly moreWhenWaiting: number;

  /**
   * @param run runs the items of one tenant and gives each its result, or an Error for it alone, in order. It must not
   * wait for another request of this same Batched (with `inFlight` set, that request could wait for it in turn).
   */
  constructor(
    private readonly run: (ctx: RequestContext, items: readonly T[]) => Promise<(R | Error)[]>,
    options: { inFlight?: number; moreWhenWaiting?: number } = {},
  ) {
    this.inFlight = options.inFlight ?? Infinity;
    this.moreWhenWaiting = options.moreWhenWaiting ?? Infinity;
  }

  /** Under the cap; or one statement over it, once enough requests wait (see the class comment). */
  private canStart(queue: TenantQueue<T, R>): boolean {
    return queue.running < this.inFlight || (queue.running === this.inFlight && queue.waiting.length >= this.moreWhenWaiting);
  }

  async do(ctx: RequestContext, item: T): Promise<R> {
    const runner = ctx.manager.queryRunner;
    if (runner && !runner.isReleased) {
      const [result] = await this.run(ctx, [item]);
      if (result instanceof Error) throw result;
      return result;
    }
    let queue = this.tenants.get(ctx.tenantId);
    if (!queue) {
      queue = { waiting: [], running: 0, scheduled: false };
      this.tenants.set(ctx.tenantId, queue);
    }
    const done = new Promise<R>((resolve, reject) => queue.waiting.push({ ctx, item, resolve, reject }));
    this.schedule(ctx.tenantId, queue);
    return done;
  }

  /** Tenants with requests waiting or under way (tests check that none is left behind). */
  get activeTenants(): number {
    return this.tenants.size;
  }

  private schedule(tenantId: string, queue: TenantQueue<T, R>): void {
    if (queue.scheduled || !this.canStart(queue)) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      while (queue.waiting.length > 0 && this.canStart(queue)) void this.start(tenantId, queue, queue.waiting.splice(0, MAX_BATCH));
    });
  }

  private async start(tenantId: string, queue: TenantQueue<T, R>, batch: Waiting<T, R>[]): Promise<void> {
    queue.running++;
    let outcome: (R | Error)[];
    try {
      outcome = await this.run(batch[0].ctx, batch.map((w) => w.item));
    } catch (error) {
      outcome = batch.map(() => asError(error));
    }
    queue.running--;
    // Requests held back by the cap have waited a whole statement, so their batch is complete: it goes at once, before
    // this batch's requests are answered. Answering them (their responses written) would otherwise leave the database
    // idle for this tenant in between.
    if (!queue.scheduled) {
      while (queue.waiting.length > 0 && this.canStart(queue)) void this.start(tenantId, queue, queue.waiting.splice(0, MAX_BATCH));
    }
    batch.forEach((w, i) => {
      const result = i < outcome.length ? outcome[i] : new Error('A batched statement gave no result for this request.');
      if (result instanceof Error) w.reject(result);
      else w.resolve(result);
    });
    if (queue.waiting.length > 0) this.schedule(tenantId, queue);
    else if (queue.running === 0) this.tenants.delete(tenantId);
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
