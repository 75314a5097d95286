import { EventEmitter } from 'node:events';
import type { Notification } from 'pg';
import { DataSource } from 'typeorm';
import { EventType } from '../entities/enums';
import { listenConnection } from '../db/notifications';
import { logger } from '../logging';
import { RequestContext } from './context';
import { EVENTS_SEQUENCED_CHANNEL, FeedEvent, eventService } from './event.service';

/**
 * How often each instance looks for committed events without a number (a probe of the narrow table event_pending,
 * empty when idle) and numbers them: the delay between a commit and its event reaching the
 * feed's readers. Writes do not NOTIFY (migration Events says why).
 */
const POLL_INTERVAL_MS = 200;
/** Waits before connecting the LISTEN client again after it failed (the last one repeats). */
const RECONNECT_DELAYS_MS = [500, 1_000, 2_000, 5_000];
/** Events a subscription reads from the outbox per statement. */
const STREAM_PAGE = 100;
/** Without a LISTEN connection, subscribers read again this often (other instances' events cannot reach them). */
const TICK_WITHOUT_LISTEN_MS = 1_000;

/**
 * One instance's part of the change feed: it numbers committed events soon after they commit, and tells this
 * instance's subscribers when their tenant has new numbered events.
 *
 * Every POLL_INTERVAL_MS it finds the tenants with committed, unnumbered events and runs the sequencer for each (runs
 * of one tenant take turns in the database, across instances; in this instance one run at a time per tenant). The
 * sequencer notifies `rollcall_events_sequenced` (payload: the tenant id) at its commit, once per run. On PostgreSQL
 * every instance LISTENs to it on a connection of its own (a LISTEN connection must not go back to a pool,
 * reconnected when it drops) and wakes its subscribers of that tenant, who read the outbox from their cursor: the
 * notification carries no event, so a lost one loses nothing but time, and while there is no LISTEN connection the
 * subscribers read again every TICK_WITHOUT_LISTEN_MS. The embedded database is one process: the sequencer wakes the
 * subscribers in-process, and there is no LISTEN.
 */
export class EventFeed {
  private readonly emitter = new EventEmitter();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private listener: { end(): Promise<void> } | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly dataSource: DataSource) {
    this.emitter.setMaxListeners(0);
  }

  private get embedded(): boolean {
    return (this.dataSource.options.extra as { preparedStatements?: boolean } | undefined)?.preparedStatements === false;
  }

  async start(): Promise<this> {
    if (!this.embedded) {
      // Not awaited: a server answers "starting" (503) until its app is built, and the LISTEN connection is not needed
      // for that (the poll numbers events, and connect() wakes every subscriber once it listens).
      void this.connect();
      this.tickTimer = setInterval(() => {
        if (!this.listener) this.emitter.emit('tick');
      }, TICK_WITHOUT_LISTEN_MS);
      this.tickTimer.unref();
    }
    this.pollTimer = setInterval(() => void this.poll(), POLL_INTERVAL_MS);
    this.pollTimer.unref();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.tickTimer);
    clearTimeout(this.reconnectTimer);
    this.emitter.emit('stop');
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Calls `listener` whenever this instance learns that a tenant has new numbered events (numbered here, or by
   * another instance: its notification) and after every sweep. The webhook dispatcher wakes on it.
   */
  onNewEvents(listener: () => void): void {
    this.emitter.on('newEvents', listener);
  }

  /** Numbers the tenant's committed events now (coalesced: one run at a time per tenant in this instance). */
  sequence(tenantId: string): Promise<void> {
    const current = this.running.get(tenantId);
    if (current) {
      this.again.add(tenantId);
      return current;
    }
    const run = (async () => {
      do {
        this.again.delete(tenantId);
        const n = await eventService.sequence(this.dataSource.manager, tenantId);
        if (n > 0) {
          this.emitter.emit(tenantId);
          this.emitter.emit('newEvents');
        }
      } while (this.again.has(tenantId) && !this.stopped);
    })()
      .catch((err: unknown) => logger.warn({ err, tenantId }, 'event sequencing failed; the next poll retries'))
      .finally(() => this.running.delete(tenantId));
    this.running.set(tenantId, run);
    return run;
  }

  /**
   * The tenant's events after `after` (a sequence number; null: only events from now on), of `types` when given, as
   * they are numbered: an async iterator for a GraphQL subscription. It reads the outbox, so a subscriber that
   * reconnects with the last sequence it saw misses nothing; ending it (`return`) stops it at once.
   */
  stream(ctx: RequestContext, options: { after: string | null; types?: readonly EventType[] | null }): AsyncIterableIterator<FeedEvent> {
    let cursor: string | null = options.after;
    let buffer: FeedEvent[] = [];
    let closed = false;
    let dirty = true;
    let wake: (() => void) | undefined;
    const onEvent = () => {
      dirty = true;
      wake?.();
    };
    const close = () => {
      closed = true;
      this.emitter.off(ctx.tenantId, onEvent);
      this.emitter.off('tick', onEvent);
      this.emitter.off('stop', close);
      wake?.();
    };
    // Registered before the first read, so nothing numbered meanwhile goes unnoticed.
    this.emitter.on(ctx.tenantId, onEvent);
    this.emitter.on('tick', onEvent);
    this.emitter.on('stop', close);
    const iterator: AsyncIterableIterator<FeedEvent> = {
      next: async () => {
        while (!closed) {
          if (buffer.length > 0) return { value: buffer.shift()!, done: false };
          if (cursor === null) cursor = await eventService.lastSequence(ctx);
          if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          if (closed) break;
          dirty = false;
          const page = await eventService.page(ctx, { after: cursor, first: STREAM_PAGE, types: options.types });
          if (page.hasNextPage) dirty = true;
          buffer = page.events;
          if (buffer.length > 0) cursor = buffer[buffer.length - 1].seq;
        }
        return { value: undefined, done: true };
      },
      return: async () => {
        close();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  private onNotification = (message: Notification): void => {
    if (message.channel === EVENTS_SEQUENCED_CHANNEL && message.payload) {
      this.emitter.emit(message.payload);
      this.emitter.emit('newEvents');
    }
  };

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const tenants = await eventService.tenantsWithUnsequenced(this.dataSource.manager);
      await Promise.all(tenants.map((tenantId) => this.sequence(tenantId)));
    } catch (err) {
      logger.warn({ err }, 'event poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** PostgreSQL: a connection of its own for LISTEN, connected again whenever it is lost. */
  private async connect(): Promise<void> {
    const options = this.dataSource.options as { url?: string; applicationName?: string };
    try {
      const listener = await listenConnection(
        options.url ?? '',
        `${options.applicationName ?? 'rollcall'}-events`,
        [EVENTS_SEQUENCED_CHANNEL],
        this.onNotification,
        (err) => {
          this.listener = undefined;
          this.reconnect(err);
        },
      );
      if (this.stopped) return void (await listener.end());
      this.listener = listener;
      this.failures = 0;
      // Whatever was numbered while no connection listened.
      this.emitter.emit('tick');
    } catch (err) {
      this.reconnect(err);
    }
  }

  private reconnect(err: unknown): void {
    if (this.stopped) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.failures++, RECONNECT_DELAYS_MS.length - 1)];
    logger.warn({ err, retryInMs: delay }, 'event notifications: no LISTEN connection; subscribers poll meanwhile');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }
}
