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

const COLUMNS = `id, seq::text AS seq, type, occurred_at AS "occurredAt", actor_surface AS "actorSurface",
  actor_token_id AS "actorTokenId", actor_token_name AS "actorTokenName", resource_type AS "resourceType",
  resource_id AS "resourceId", data`;

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
        // The rows are found in the partial index (in insertion order) and updated by their ctid: a plan that holds
        // whatever the statistics say (a join on position was hashed against a scan of the whole table). The batch
        // size is written into the text so that the generic plan knows it is small.
        const [{ assigned }] = await sql.rows<{ assigned: number }>(
          q,
          `WITH pending AS (
             SELECT row, row_number() OVER (ORDER BY position) AS n
               FROM (SELECT ctid AS row, position FROM events WHERE tenant_id = $1 AND seq IS NULL
                      ORDER BY position LIMIT ${SEQUENCE_BATCH}) p),
           numbered AS (
             UPDATE events e SET seq = $2::bigint + pending.n FROM pending
              WHERE e.ctid = pending.row AND e.tenant_id = $1 AND e.seq IS NULL RETURNING 1),
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
    // A skip scan of the partial index (one probe when nothing is pending): DISTINCT was planned as a scan of the
    // whole table.
    const found = await sql.rows<{ tenant_id: string }>(
      { manager },
      `WITH RECURSIVE t AS (
         (SELECT tenant_id FROM events WHERE seq IS NULL ORDER BY tenant_id, position LIMIT 1)
         UNION ALL
         SELECT (SELECT e.tenant_id FROM events e WHERE e.seq IS NULL AND e.tenant_id > t.tenant_id ORDER BY e.tenant_id, e.position LIMIT 1)
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
    const typed = options.types && options.types.length > 0;
    const found = await sql.rows<FeedEvent>(
      ctx,
      `SELECT ${COLUMNS} FROM events e
        WHERE e.tenant_id = $1 AND e.seq > $2::bigint ${typed ? 'AND e.type = ANY($4::text[])' : ''}
        ORDER BY e.seq LIMIT $3`,
      typed ? [ctx.tenantId, options.after ?? '0', options.first + 1, options.types] : [ctx.tenantId, options.after ?? '0', options.first + 1],
    );
    return { events: found.slice(0, options.first), hasNextPage: found.length > options.first };
  },

  /** How many numbered events of the tenant (of these types) are kept. */
  async count(ctx: RequestContext, types?: readonly EventType[] | null): Promise<number> {
    const typed = types && types.length > 0;
    const [{ n }] = await sql.rows<{ n: number }>(
      ctx,
      `SELECT count(*)::int AS n FROM events WHERE tenant_id = $1 AND seq IS NOT NULL ${typed ? 'AND type = ANY($2::text[])' : ''}`,
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
   * Deletes numbered events older than each tenant's `event_retention_days`; returns how many. Unnumbered ones stay
   * until the sequencer has numbered them, so a purge never opens a gap a consumer could fall into unnoticed.
   */
  async purgeExpired(manager: EntityManager): Promise<number> {
    return sql.affected(
      { manager },
      `DELETE FROM events ev USING tenants t
        WHERE ev.tenant_id = t.id AND ev.seq IS NOT NULL AND ev.occurred_at < now() - make_interval(days => t.event_retention_days)`,
    );
  },
};
