/**
 * Remembers where a list page ended so that the next page (startIndex += count, as Okta's import walks) continues
 * with a keyset condition instead of an ever deeper OFFSET: walking a million employees stays linear. A miss (another
 * instance served the previous page, or the entry expired) falls back to OFFSET, which is slower but just as correct.
 */
export interface ContinuationKey {
  sortValue: unknown;
  id: string;
}

const MAX_ENTRIES = 2000;
const TTL_MS = 10 * 60_000;

export class ContinuationCache {
  private readonly entries = new Map<string, { key: ContinuationKey; expires: number }>();

  get(listKey: string, startIndex: number): ContinuationKey | undefined {
    const id = `${listKey}#${startIndex}`;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.expires < Date.now()) return undefined;
    this.entries.set(id, entry); // refresh recency
    return entry.key;
  }

  set(listKey: string, startIndex: number, key: ContinuationKey): void {
    const id = `${listKey}#${startIndex}`;
    this.entries.delete(id);
    this.entries.set(id, { key, expires: Date.now() + TTL_MS });
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
  private readonly generations = new Map<string, number>();

  /** Called on every employee write of a tenant. */
  invalidate(tenantId: string): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
  }

  get(tenantId: string, listKey: string): number | undefined {
    const entry = this.counts.get(listKey);
    if (!entry || entry.expires < Date.now() || entry.generation !== (this.generations.get(tenantId) ?? 0)) return undefined;
    return entry.count;
  }

  /** The tenant's write generation now: take it before counting and pass it to `set`. */
  generation(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
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
