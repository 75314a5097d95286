/**
 * Per tenant, a number that every write able to change what a list holds or its order moves on: a create, a soft
 * delete, an update (a changed name moves a person in a list sorted by it), and a rename of a role, team or
 * authenticator (lists filtered by its name). What the list caches below remember is only used at the generation it
 * was taken at, so a page never continues from, or reports a total counted before, a write of this process.
 */
export class ListGenerations {
  private readonly generations = new Map<string, number>();

  written(tenantId: string): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
  }

  current(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
  }
}

/** The employee lists' generations (employee writes and catalog renames move them on). */
export const employeeListGenerations = new ListGenerations();

/**
 * Remembers where a list page ended so that the next page (startIndex += count, as Okta's import walks) continues
 * with a keyset condition instead of an ever deeper OFFSET: walking a million employees stays linear. A miss (another
 * instance served the previous page, the entry expired, or the tenant was written since) falls back to OFFSET,
 * which is slower but just as correct; that page is remembered in turn, so a walk goes back to keysets at once.
 * Continuing from a place remembered before a write would not be: a create or a rename that sorts before it shifts
 * every later position by one, and the page would repeat or skip a person (or come back empty).
 */
export interface ContinuationKey {
  sortValue: unknown;
  id: string;
}

const MAX_ENTRIES = 2000;
const TTL_MS = 10 * 60_000;

export class ContinuationCache {
  private readonly entries = new Map<string, { key: ContinuationKey; generation: number; expires: number }>();

  constructor(private readonly generations: ListGenerations) {}

  get(tenantId: string, listKey: string, startIndex: number): ContinuationKey | undefined {
    const id = `${listKey}#${startIndex}`;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.expires < Date.now() || entry.generation !== this.generations.current(tenantId)) return undefined;
    this.entries.set(id, entry); // refresh recency
    return entry.key;
  }

  /**
   * Remembers where a page ended. `generation` must be taken before the page was read: a write that commits while
   * the page is read may or may not be in it, and makes the entry stale either way.
   */
  set(listKey: string, startIndex: number, key: ContinuationKey, generation: number): void {
    const id = `${listKey}#${startIndex}`;
    this.entries.delete(id);
    this.entries.set(id, { key, generation, expires: Date.now() + TTL_MS });
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/**
 * `totalResults` for the pages after the first: counting a million rows on every page of an import walk would make
 * the walk quadratic. The first page (startIndex 1) always counts; later pages reuse that count while no employee of
 * the tenant was written through this process and for at most a few seconds (writes through another instance can
 * therefore show up in totalResults of later pages only after COUNT_TTL_MS).
 */
const COUNT_TTL_MS = 5_000;

export class ListCountCache {
  private readonly counts = new Map<string, { count: number; generation: number; expires: number }>();

  constructor(private readonly generations: ListGenerations) {}

  /**
   * Called on every employee write of a tenant, after it is committed (a write inside a transaction calls it there
   * too, and again once the transaction has ended: a page read in between would not see the write yet).
   */
  invalidate(tenantId: string): void {
    this.generations.written(tenantId);
  }

  get(tenantId: string, listKey: string): number | undefined {
    const entry = this.counts.get(listKey);
    if (!entry || entry.expires < Date.now() || entry.generation !== this.generations.current(tenantId)) return undefined;
    return entry.count;
  }

  /** The tenant's write generation now: take it before counting and pass it to `set`. */
  generation(tenantId: string): number {
    return this.generations.current(tenantId);
  }

  /** Remembers a count taken at `generation`; a write since then makes it stale at once. */
  set(tenantId: string, listKey: string, count: number, generation: number): void {
    this.counts.set(listKey, { count, generation, expires: Date.now() + COUNT_TTL_MS });
    if (this.counts.size > MAX_ENTRIES) {
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
  }
}
