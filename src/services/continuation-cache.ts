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
