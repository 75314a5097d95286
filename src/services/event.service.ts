import { EntityManager } from 'typeorm';
import { EVENT_TYPES, EventType } from '../entities/enums';
import { RequestContext } from './context';
import * as sql from './sql';

/**
 * The change feed's reads, its sequencer and its retention. Events are written by the database (the trigger of
 * migration Events, from each change's audit row, in the change's transaction); nothing in the application inserts
 * them. See docs/events.md for the guarantees and docs/architecture.md, "The change feed", for the flow.
 */

/** At most this many member ids per membership event (the trigger of migration Events splits at the same size). */
export const EVENT_MEMBER_CHUNK = 1000;

/** Where a sequencer run stops numbering (it runs again at once when it reached this). */
const SEQUENCE_BATCH = 1000;

/** Notified (with the tenant id) by the sequencer when it has numbered events: subscribers read from there. */
export const EVENTS_SEQUENCED_CHANNEL = 'rollcall_events_sequenced';

/** An event as consumers see it. `seq` is a decimal string (bigint). */
export interface FeedEvent {
  id: string;
  seq: string;
  type: EventType;
  occurredAt: Date;
  actorSurface: string;
  actorTokenId: string | null;
  actorTokenName: string | null;
  resourceType: string;
  resourceId: string;
  data: Record<string, unknown>;
}

const COLUMNS = `e.id, n.seq::text AS seq, e.type, e.occurred_at AS "occurredAt", e.actor_surface AS "actorSurface",
  e.actor_token_id AS "actorTokenId", e.actor_token_name AS "actorTokenName", e.resource_type AS "resourceType",
  e.resource_id AS "resourceId", e.data`;

/**
 * The numbered events (`n`, event_numbers) with their rows (`e`, events), for a FROM clause: each number finds its
 * event by key (tenant_id, position), one index probe per number, in the fence that src/services/sql.ts byKeys uses
 * (LATERAL … OFFSET 0), so that PostgreSQL cannot hash a tenant's events whatever the statistics say. Filter and
 * order on `n` (n.tenant_id, n.seq: the primary key of event_numbers).
 */
export const NUMBERED_EVENTS = `event_numbers n
  CROSS JOIN LATERAL (SELECT * FROM events e WHERE e.tenant_id = n.tenant_id AND e.position = n.position OFFSET 0) e`;

/** The seq window one statement of a filtered read scans (unfiltered reads scan exactly what they may return). */
const TYPED_WINDOW = 1000;

/**
 * Up to `limit` numbered events of the tenant after `after`, in sequence order, as `columns` of NUMBERED_EVENTS;
 * optionally of some types only. Also `through`: every number up to it has been looked at, so a reader that skips
 * events (a webhook endpoint's types) may move its cursor there.
 *
 * Each statement asks for a bounded range of numbers (`seq > from AND seq <= from + window`), never "everything after
 * the cursor": numbers are dense (the sequencer hands them out without gaps; only retention removes old ones), so the
 * range holds at most `window` rows whatever plan PostgreSQL picks. Asked for `seq > cursor ORDER BY seq LIMIT 100`
 * on a table it has no statistics for, it estimated 9 rows, chose a bitmap scan of the whole backlog and a sort, and
 * a webhook endpoint 4,000 events behind paid 29 ms per page of 100 (measured, issue 18): the work grew with the
 * backlog, so a backlog grew faster. A range that finds nothing may be a gap left by retention: the next kept number
 * is looked up and the read goes on from there.
 */
export async function readNumbered<T extends Record<string, unknown>>(
  q: { manager: EntityManager },
  columns: string,
  tenantId: string,
  after: string,
  limit: number,
  types?: readonly string[] | null,
): Promise<{ rows: T[]; through: string }> {
  const typed = !!types && types.length > 0;
  const head = await sql.one<{ last: string }>(q, 'SELECT last_seq::text AS last FROM event_sequences WHERE tenant_id = $1', [tenantId]);
  const last = BigInt(head?.last ?? '0');
  let from = BigInt(after);
  const rows: T[] = [];
  while (rows.length < limit && from < last) {
    const want = limit - rows.length;
    const window = typed ? BigInt(TYPED_WINDOW) : BigInt(want);
    const to = from + window < last ? from + window : last;
    const found = await sql.rows<T>(
      q,
      `SELECT ${columns} FROM ${NUMBERED_EVENTS}
        WHERE n.tenant_id = $1 AND n.seq > $2::bigint AND n.seq <= $3::bigint ${typed ? 'AND e.type = ANY($5::text[])' : ''}
        ORDER BY n.seq LIMIT $4`,
      typed ? [tenantId, String(from), String(to), want, types] : [tenantId, String(from), String(to), want],
    );
    rows.push(...found);
    if (found.length === want) return { rows, through: String(found[found.length - 1].seq) };
    if (found.length === 0) {
      const [next] = await sql.rows<{ seq: string | null }>(
        q,
        'SELECT min(seq)::text AS seq FROM event_numbers WHERE tenant_id = $1 AND seq > $2::bigint',
        [tenantId, String(from)],
      );
      if (next?.seq == null) return { rows, through: String(last) };
      const gapEnd = BigInt(next.seq) - 1n;
      if (gapEnd > from) {
        from = gapEnd;
        continue;
      }
    }
    from = to;
  }
  return { rows, through: String(from < last ? from : last) };
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export const eventService = {
  /**
   * Numbers the tenant's committed, unnumbered events in insertion order; returns how many. Safe to run from any
   * instance at any time, concurrently: runs of one tenant take turns on its `event_sequences` row.
   *
   * Why sequence order is visibility order (docs/events.md, "Ordering"): the first statement locks the tenant's
   * counter row; the second is a new statement, so under READ COMMITTED it takes a new snapshot, taken after the lock
   * was granted, and sees every event committed before it, including those numbered by the run that held the lock
   * before (committed before releasing it). It numbers what it sees after the last number; an event whose transaction
   * has not committed is invisible to it and gets a higher number in a later run. So whenever number n is visible,
   * every number below n is too, and a consumer that read up to n never finds a new event at or below n.
   */
  async sequence(manager: EntityManager, tenantId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await manager.transaction(async (tx) => {
        const q = { manager: tx };
        // Creates the counter on first use, and locks it either way (ON CONFLICT DO UPDATE locks the existing row).
        const [{ last }] = await sql.rows<{ last: string }>(
          q,
          `INSERT INTO event_sequences (tenant_id, last_seq) VALUES ($1, 0)
           ON CONFLICT (tenant_id) DO UPDATE SET last_seq = event_sequences.last_seq RETURNING last_seq::text AS last`,
          [tenantId],
        );
        // `events` rows are never updated (an UPDATE of an indexed seq wrote each wide row and its index entries
        // twice): the tenant's pending rows are taken from event_pending in insertion order and deleted by their
        // ctid (a TID scan, a plan that holds whatever the statistics say; no other run deletes them while this one
        // holds the lock), and their numbers are inserted into event_numbers, in position order. The batch size is
        // written into the text so that the generic plan knows it is small.
        const [{ assigned }] = await sql.rows<{ assigned: number }>(
          q,
          `WITH taken AS (
             DELETE FROM event_pending p
              WHERE p.ctid = ANY (ARRAY(SELECT ctid FROM event_pending WHERE tenant_id = $1 ORDER BY position LIMIT ${SEQUENCE_BATCH}))
              RETURNING p.position),
           numbered AS (
             INSERT INTO event_numbers (tenant_id, seq, position)
             SELECT $1, $2::bigint + row_number() OVER (ORDER BY taken.position), taken.position FROM taken RETURNING 1),
           counter AS (
             UPDATE event_sequences SET last_seq = $2::bigint + (SELECT count(*) FROM numbered) WHERE tenant_id = $1)
           SELECT count(*)::int AS assigned FROM numbered`,
          [tenantId, last],
        );
        // Delivered at commit: the subscribers of every instance read from their cursor.
        if (assigned > 0) await sql.rows(q, 'SELECT pg_notify($1, $2)', [EVENTS_SEQUENCED_CHANNEL, tenantId]);
        return assigned;
      });
      total += n;
      if (n < SEQUENCE_BATCH) return total;
    }
  },

  /** The tenants with committed events still unnumbered (the sweep's work list). */
  async tenantsWithUnsequenced(manager: EntityManager): Promise<string[]> {
    // A skip scan of event_pending's primary key (one probe when nothing is pending): DISTINCT could be planned as a
    // scan of the whole table.
    const found = await sql.rows<{ tenant_id: string }>(
      { manager },
      `WITH RECURSIVE t AS (
         (SELECT tenant_id FROM event_pending ORDER BY tenant_id, position LIMIT 1)
         UNION ALL
         SELECT (SELECT p.tenant_id FROM event_pending p WHERE p.tenant_id > t.tenant_id ORDER BY p.tenant_id, p.position LIMIT 1)
           FROM t WHERE t.tenant_id IS NOT NULL)
       SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`,
    );
    return found.map((r) => r.tenant_id);
  },

  /**
   * Up to `first` events of the tenant after sequence number `after` (null: from the oldest kept), in sequence order,
   * optionally of some types only, plus whether more follow. Numbers what is committed first, so a reader sees
   * everything committed before it asked.
   */
  async page(
    ctx: RequestContext,
    options: { after: string | null; first: number; types?: readonly EventType[] | null },
  ): Promise<{ events: FeedEvent[]; hasNextPage: boolean }> {
    await eventService.sequence(ctx.manager, ctx.tenantId);
    const { rows: found } = await readNumbered<FeedEvent & Record<string, unknown>>(
      ctx,
      COLUMNS,
      ctx.tenantId,
      options.after ?? '0',
      options.first + 1,
      options.types,
    );
    return { events: found.slice(0, options.first), hasNextPage: found.length > options.first };
  },

  /** How many numbered events of the tenant (of these types) are kept. */
  async count(ctx: RequestContext, types?: readonly EventType[] | null): Promise<number> {
    const typed = types && types.length > 0;
    // All types: the narrow event_numbers alone. Some types: the tenant's events of those types that are not pending
    // (an event and its pending row are written, and the pending row deleted and its number written, in one
    // transaction, so every snapshot sees an event either pending or numbered).
    const [{ n }] = await sql.rows<{ n: number }>(
      ctx,
      typed
        ? `SELECT count(*)::int AS n FROM events e WHERE e.tenant_id = $1 AND e.type = ANY($2::text[])
             AND NOT EXISTS (SELECT 1 FROM event_pending p WHERE p.tenant_id = e.tenant_id AND p.position = e.position)`
        : 'SELECT count(*)::int AS n FROM event_numbers WHERE tenant_id = $1',
      typed ? [ctx.tenantId, types] : [ctx.tenantId],
      sql.COUNT_PLAN,
    );
    return n;
  },

  /** The tenant's last sequence number handed out ('0' before any): where a live-only subscription starts. */
  async lastSequence(ctx: RequestContext): Promise<string> {
    await eventService.sequence(ctx.manager, ctx.tenantId);
    const row = await sql.one<{ last: string }>(ctx, 'SELECT last_seq::text AS last FROM event_sequences WHERE tenant_id = $1', [ctx.tenantId]);
    return row?.last ?? '0';
  },

  /**
   * Deletes numbered events older than each tenant's `event_retention_days`, and their numbers; returns how many.
   * Unnumbered ones (with an `event_pending` row) stay until the sequencer has numbered them, so a purge never opens a
   * gap a consumer could fall into unnoticed; `event_pending` holds no row of a numbered event, so there is nothing of
   * theirs to delete there. The numbers are found by key, one probe each (the LATERAL … OFFSET 0 fence), and deleted
   * by ctid.
   */
  async purgeExpired(manager: EntityManager): Promise<number> {
    const [{ n }] = await sql.rows<{ n: number }>(
      { manager },
      `WITH gone AS (
         DELETE FROM events ev USING tenants t
          WHERE ev.tenant_id = t.id AND ev.occurred_at < now() - make_interval(days => t.event_retention_days)
            AND NOT EXISTS (SELECT 1 FROM event_pending p WHERE p.tenant_id = ev.tenant_id AND p.position = ev.position)
          RETURNING ev.tenant_id, ev.position),
       numbers AS (
         DELETE FROM event_numbers en
          WHERE en.ctid = ANY (ARRAY(
            SELECT x.row FROM gone
             CROSS JOIN LATERAL (SELECT m.ctid AS row FROM event_numbers m
                                  WHERE m.tenant_id = gone.tenant_id AND m.position = gone.position OFFSET 0) x)))
       SELECT count(*)::int AS n FROM gone`,
    );
    return n;
  },
};
