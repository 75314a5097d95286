import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WebhookSigningSecret } from '../entities/webhook-endpoint.entity';
import { logger } from '../logging';
import { auditService } from './audit.service';
import { createContext } from './context';
import { readNumbered } from './event.service';
import * as sql from './sql';
import { EVENT_COLUMNS, toWebhookEvent } from './webhook.service';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, SendResult, WebhookEvent, sendWebhook } from './webhook-sender';

/** Retries go on for at least this long; an endpoint whose event still fails after it is disabled. */
export const GIVE_UP_AFTER_MS = 3 * 24 * 60 * 60_000;
const FIRST_RETRY_MS = 5_000;
const LONGEST_RETRY_MS = 4 * 60 * 60_000;

/**
 * The wait before retry number `attempt` (1 = after the first failure): exponential from 5 s, doubling, capped at 4
 * hours, with full jitter over its upper half so that endpoints failing together do not retry together. About 20
 * attempts fit in 3 days.
 */
export function retryDelayMs(attempt: number, random = Math.random): number {
  const base = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

export interface DispatcherOptions {
  /** How often to look for work without being woken (ms). */
  pollMs?: number;
  /** A receiver is cut off after this (ms). */
  timeoutMs?: number;
  /** Endpoints worked at once by this instance. */
  concurrency?: number;
  /** How long one claim of an endpoint may go on sending (ms) before it lets go. */
  budgetMs?: number;
}

interface Claimed {
  tenant_id: string;
  id: string;
  url: string;
  event_types: string[];
  signing_secrets: WebhookSigningSecret[];
  cursor_seq: string;
  attempts: number;
  failing_since: Date | null;
}

/** What the app holds of a dispatcher, whether it runs on the server's event loop or in a thread of its own. */
export interface WebhookDispatch {
  /** Look for work now (new events were sequenced). */
  wake(): void;
  /** Stops claiming; resolves when the sends in flight are done and recorded. */
  stop(): Promise<void>;
}

/**
 * Sends the change feed to webhook endpoints (issue 18). Every instance runs one; they share the work through
 * PostgreSQL: an instance claims an endpoint by writing a lease (`lease_until`) with `FOR UPDATE SKIP LOCKED`, sends
 * its events after `cursor_seq` in sequence order, then records the deliveries and moves the cursor in one
 * transaction. A killed instance's lease runs out and another instance sends the unrecorded events again: at least
 * once, with the same `webhook-id` (the event's id), so receivers de-duplicate. One endpoint is worked by one instance
 * at a time, one event at a time, so it receives its events in order; a failing event is retried with backoff and
 * holds back the later ones.
 */
export class WebhookDispatcher implements WebhookDispatch {
  private readonly instance = randomUUID();
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly budgetMs: number;
  /**
   * Longer than the longest a claim can last (its budget, then one send cut off at the timeout, then the record), so
   * a live lease never runs out; short enough that a killed instance's endpoints are taken over within seconds.
   */
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    options: DispatcherOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? 16;
    this.budgetMs = options.budgetMs ?? 5_000;
    this.leaseMs = this.budgetMs + this.timeoutMs + 5_000;
  }

  start(): this {
    this.schedule();
    return this;
  }

  /** Look for work now (new events were sequenced). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.work().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      } else this.schedule();
    });
  }

  /** Stops claiming; resolves when the sends in flight are done and recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), this.pollMs);
    this.timer.unref();
  }

  private async work(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const claimed = await this.claim();
        if (claimed.length === 0) return;
        await Promise.all(claimed.map((endpoint) => this.deliver(endpoint)));
      }
    } catch (err) {
      logger.warn({ err }, 'webhook dispatch failed; trying again shortly');
    }
  }

  private claim(): Promise<Claimed[]> {
    // "Has events after its cursor" is one probe of the tenant's counter per endpoint (every number up to last_seq is
    // committed). An EXISTS over event_numbers after the cursor was planned, without statistics, as a bitmap scan of
    // the endpoint's whole backlog.
    return sql.rows<Claimed>(
      { manager: this.dataSource.manager },
      `UPDATE webhook_endpoints w SET lease_until = now() + make_interval(secs => $2::int / 1000.0), lease_owner = $1
        WHERE (w.tenant_id, w.id) IN (
          SELECT c.tenant_id, c.id FROM webhook_endpoints c
           WHERE c.enabled AND (c.lease_until IS NULL OR c.lease_until < now())
             AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= now())
             AND c.cursor_seq < (SELECT s.last_seq FROM event_sequences s WHERE s.tenant_id = c.tenant_id)
           ORDER BY c.next_attempt_at NULLS FIRST
           LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING w.tenant_id, w.id, w.url, w.event_types, w.signing_secrets, w.cursor_seq::text AS cursor_seq, w.attempts, w.failing_since`,
      [this.instance, this.leaseMs, this.concurrency],
      { prepare: false },
    );
  }

  private async deliver(endpoint: Claimed): Promise<void> {
    const deadline = Date.now() + this.budgetMs;
    const delivered: { event: WebhookEvent; sent: SendResult }[] = [];
    let cursor = endpoint.cursor_seq;
    let failed: { event: WebhookEvent; sent: SendResult } | undefined;
    try {
      outer: while (!this.stopped && Date.now() < deadline) {
        const { rows, through } = await readNumbered({ manager: this.dataSource.manager }, EVENT_COLUMNS, endpoint.tenant_id, cursor, 100);
        if (rows.length === 0) {
          // Nothing left, or only a gap that retention left: the cursor goes past what was looked at.
          if (BigInt(through) > BigInt(cursor)) cursor = through;
          break;
        }
        for (const row of rows) {
          const event = toWebhookEvent(row);
          if (endpoint.event_types.includes(event.type)) {
            const sent = await sendWebhook(endpoint.url, endpoint.signing_secrets, event, this.timeoutMs);
            if (!sent.ok) {
              failed = { event, sent };
              break outer;
            }
            delivered.push({ event, sent });
          }
          cursor = event.seq;
          if (this.stopped || Date.now() >= deadline) break outer;
        }
      }
    } finally {
      await this.record(endpoint, cursor, delivered, failed).catch((err) =>
        logger.warn({ err, endpointId: endpoint.id }, 'recording webhook deliveries failed; they will be sent again'),
      );
    }
  }

  /** Records one claim's deliveries, moves the cursor and lets go of the lease, in one transaction. */
  private async record(
    endpoint: Claimed,
    cursor: string,
    delivered: { event: WebhookEvent; sent: SendResult }[],
    failed: { event: WebhookEvent; sent: SendResult } | undefined,
  ): Promise<void> {
    await this.dataSource.manager.transaction(async (manager) => {
      const tx = { manager };
      // Still ours? A lease that ran out (a stalled process) means another instance has taken over the endpoint.
      const [mine] = await sql.rows(
        tx,
        'SELECT 1 FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 FOR UPDATE',
        [endpoint.tenant_id, endpoint.id, this.instance],
      );
      if (!mine) return;
      const attempts = (event: WebhookEvent, sent: SendResult, status: string, next: Date | null) => ({
        event_id: event.id,
        event_seq: event.seq,
        event_type: event.type,
        status,
        last_status_code: sent.statusCode,
        last_error: sent.error,
        last_latency_ms: sent.latencyMs,
        next_attempt_at: next,
      });
      const rows = delivered.map(({ event, sent }) => attempts(event, sent, 'delivered', null));
      // After a success: no failure pending. After a failure: its attempt count, since when, and the next try (or none).
      let failure: { attempt: number; since: Date | null; next: Date | null } = { attempt: 0, since: null, next: null };
      let disabled = false;
      if (failed) {
        const attempt = (delivered.length === 0 ? endpoint.attempts : 0) + 1;
        const since = delivered.length === 0 && endpoint.failing_since ? new Date(endpoint.failing_since) : new Date();
        disabled = Date.now() - since.getTime() >= GIVE_UP_AFTER_MS;
        const next = disabled ? null : new Date(Date.now() + retryDelayMs(attempt));
        rows.push(attempts(failed.event, failed.sent, disabled ? 'failed' : 'retrying', next));
        failure = { attempt, since, next };
      }
      if (rows.length > 0) {
        await sql.rows(
          tx,
          `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_seq, event_type, status, attempts, last_status_code,
             last_error, last_latency_ms, last_attempt_at, next_attempt_at, delivered_at)
           SELECT $1, $2, r.event_id, r.event_seq, r.event_type, r.status, 1, r.last_status_code, r.last_error, r.last_latency_ms, now(),
             r.next_attempt_at, CASE WHEN r.status = 'delivered' THEN now() END
             FROM jsonb_to_recordset($3::jsonb) AS r(event_id uuid, event_seq bigint, event_type text, status text, last_status_code int,
               last_error text, last_latency_ms int, next_attempt_at timestamptz)
           ON CONFLICT (tenant_id, endpoint_id, event_seq) DO UPDATE SET status = EXCLUDED.status, attempts = webhook_deliveries.attempts + 1,
             last_status_code = EXCLUDED.last_status_code, last_error = EXCLUDED.last_error, last_latency_ms = EXCLUDED.last_latency_ms,
             last_attempt_at = EXCLUDED.last_attempt_at, next_attempt_at = EXCLUDED.next_attempt_at, delivered_at = EXCLUDED.delivered_at`,
          [endpoint.tenant_id, endpoint.id, JSON.stringify(rows)],
          { prepare: false },
        );
      }
      await sql.rows(
        tx,
        `UPDATE webhook_endpoints SET cursor_seq = GREATEST(cursor_seq, $3::bigint), attempts = $6::int, failing_since = $7::timestamptz,
           next_attempt_at = $8::timestamptz, enabled = enabled AND NOT $9::boolean,
           disabled_reason = CASE WHEN $9::boolean THEN 'Every delivery failed for 3 days (last: ' || $4::text || ').' ELSE disabled_reason END,
           last_delivery_at = CASE WHEN $5::boolean THEN now() ELSE last_delivery_at END, lease_until = NULL, lease_owner = NULL
         WHERE tenant_id = $1 AND id = $2`,
        [endpoint.tenant_id, endpoint.id, cursor, failed?.sent.error ?? '', delivered.length > 0, failure.attempt, failure.since, failure.next, disabled],
      );
      if (disabled) {
        const ctx = createContext(this.dataSource, endpoint.tenant_id, { surface: 'system', tokenId: null });
        await auditService.record(
          { ...ctx, manager },
          { action: 'webhook.disabled', targetType: 'webhook_endpoint', targetId: endpoint.id, changes: { enabled: { from: true, to: false } } },
        );
        logger.warn({ tenantId: endpoint.tenant_id, endpointId: endpoint.id }, 'webhook endpoint disabled after 3 days of failed deliveries');
      }
    });
  }
}
