import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { EVENT_TYPES, EventType } from '../entities/enums';
import { WebhookDelivery, WebhookEndpoint, WebhookSigningSecret } from '../entities/webhook-endpoint.entity';
import { auditService } from './audit.service';
import { eventService } from './event.service';
import { RequestContext, inTransaction } from './context';
import { DomainError, ErrorCode } from './errors';
import * as sql from './sql';
import { isUuid, textProblem } from './validation';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, WebhookEvent, sendWebhook } from './webhook-sender';
import { checkWebhookUrl } from './webhook-url';

/** A tenant's endpoints are few receivers (routing, WFM, payroll…), not a fan-out service. */
export const MAX_WEBHOOK_ENDPOINTS = 20;
/** After a rotation the old secret keeps signing beside the new one this long, so receivers can switch without a gap. */
export const OLD_SECRET_SIGNS_MS = 24 * 60 * 60_000;
const SECRET_BYTES = 32;
const VISIBLE_SECRET_CHARS = 'whsec_'.length + 6;

export interface CreatedWebhookEndpoint {
  endpoint: WebhookEndpoint;
  /** Shown once. */
  secret: string;
}

export interface WebhookEndpointInput {
  url: string;
  eventTypes: readonly string[];
  description?: string | null;
}

export interface WebhookEndpointChanges {
  url?: string;
  eventTypes?: readonly string[];
  description?: string | null;
  enabled?: boolean;
}

function newSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

function checkEventTypes(types: readonly string[]): EventType[] {
  const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) {
    throw new DomainError(ErrorCode.INVALID_VALUE, `eventTypes: unknown event type ${unknown.map((t) => `"${t}"`).join(', ')}.`, 'eventTypes');
  }
  if (types.length === 0) throw new DomainError(ErrorCode.REQUIRED, 'eventTypes must name at least one event type.', 'eventTypes');
  return [...new Set(types)] as EventType[];
}

function checkDescription(description: string | null | undefined): string | null {
  if (description === undefined || description === null || description.trim() === '') return null;
  const text = description.trim();
  if (textProblem(text, { max: 500 })) {
    throw new DomainError(ErrorCode.INVALID_VALUE, 'description must be at most 500 characters without control characters.', 'description');
  }
  return text;
}

function notFound(id: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No webhook endpoint with id "${id}" exists.`, 'id');
}

/** The webhook endpoints of a tenant and their delivery log (issue 18, docs/events.md "Webhooks"). */
export const webhookService = {
  async create(ctx: RequestContext, input: WebhookEndpointInput): Promise<CreatedWebhookEndpoint> {
    const eventTypes = checkEventTypes(input.eventTypes);
    const description = checkDescription(input.description);
    const url = await checkWebhookUrl(input.url);
    const secret = newSecret();
    // Events committed before this call are numbered now, so that they fall before the new endpoint's cursor.
    await eventService.sequence(ctx.manager, ctx.tenantId);
    return inTransaction(ctx, async (tx) => {
      const count = await tx.manager.countBy(WebhookEndpoint, { tenantId: tx.tenantId });
      if (count >= MAX_WEBHOOK_ENDPOINTS) {
        throw new DomainError(ErrorCode.INVALID_VALUE, `A tenant has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first.`);
      }
      // A new endpoint receives the events from now on, not the retained past.
      const [{ last }] = await sql.rows<{ last: string }>(
        tx,
        'SELECT COALESCE((SELECT last_seq FROM event_sequences WHERE tenant_id = $1), 0)::text AS last',
        [tx.tenantId],
      );
      const signingSecrets: WebhookSigningSecret[] = [{ secret, createdAt: new Date().toISOString(), expiresAt: null }];
      const endpoint = await tx.manager.save(
        tx.manager.create(WebhookEndpoint, {
          tenantId: tx.tenantId,
          url,
          description,
          eventTypes,
          enabled: true,
          signingSecrets,
          secretPrefix: secret.slice(0, VISIBLE_SECRET_CHARS),
          cursorSeq: last,
        }),
      );
      await auditService.record(tx, {
        action: 'webhook.created',
        targetType: 'webhook_endpoint',
        targetId: endpoint.id,
        changes: { url: { from: null, to: url }, eventTypes: { from: null, to: eventTypes } },
      });
      return { endpoint, secret };
    });
  },

  async get(ctx: RequestContext, id: string): Promise<WebhookEndpoint | null> {
    if (!isUuid(id)) return null;
    return ctx.manager.findOneBy(WebhookEndpoint, { tenantId: ctx.tenantId, id });
  },

  async list(ctx: RequestContext): Promise<WebhookEndpoint[]> {
    return ctx.manager.find(WebhookEndpoint, { where: { tenantId: ctx.tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  },

  async update(ctx: RequestContext, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint> {
    const set: Partial<WebhookEndpoint> = {};
    if (changes.eventTypes !== undefined) set.eventTypes = checkEventTypes(changes.eventTypes);
    if (changes.description !== undefined) set.description = checkDescription(changes.description);
    if (changes.url !== undefined) set.url = await checkWebhookUrl(changes.url);
    return inTransaction(ctx, async (tx) => {
      const current = await tx.manager.findOne(WebhookEndpoint, { where: { tenantId: tx.tenantId, id }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw notFound(id);
      if (changes.enabled !== undefined && changes.enabled !== current.enabled) {
        set.enabled = changes.enabled;
        // Enabled again: start afresh from where it stopped (the retained events after its cursor follow).
        Object.assign(set, { disabledReason: null, attempts: 0, failingSince: null, nextAttemptAt: null });
      }
      const audited: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of ['url', 'eventTypes', 'description', 'enabled'] as const) {
        if (set[field] !== undefined && JSON.stringify(set[field]) !== JSON.stringify(current[field])) {
          audited[field] = { from: current[field], to: set[field] };
        }
      }
      if (Object.keys(audited).length === 0) return current;
      await tx.manager.update(WebhookEndpoint, { tenantId: tx.tenantId, id }, { ...set, updatedAt: new Date() });
      await auditService.record(tx, { action: 'webhook.updated', targetType: 'webhook_endpoint', targetId: id, changes: audited as never });
      return (await tx.manager.findOneBy(WebhookEndpoint, { tenantId: tx.tenantId, id }))!;
    });
  },

  async remove(ctx: RequestContext, id: string): Promise<WebhookEndpoint> {
    return inTransaction(ctx, async (tx) => {
      const current = await this.get(tx, id);
      if (!current) throw notFound(id);
      // Its log first: the log has no foreign key to cascade from (src/entities/webhook-endpoint.entity.ts).
      await tx.manager.delete(WebhookDelivery, { tenantId: tx.tenantId, endpointId: current.id });
      await tx.manager.delete(WebhookEndpoint, { tenantId: tx.tenantId, id: current.id });
      await auditService.record(tx, {
        action: 'webhook.deleted',
        targetType: 'webhook_endpoint',
        targetId: current.id,
        changes: { url: { from: current.url, to: null } },
      });
      return current;
    });
  },

  /** A new secret, shown once; the current one keeps signing beside it for OLD_SECRET_SIGNS_MS. */
  async rotateSecret(ctx: RequestContext, id: string): Promise<CreatedWebhookEndpoint> {
    if (!isUuid(id)) throw notFound(id);
    const secret = newSecret();
    return inTransaction(ctx, async (tx) => {
      const current = await tx.manager
        .createQueryBuilder(WebhookEndpoint, 'w')
        .addSelect('w.signingSecrets')
        .where('w.tenant_id = :tenantId AND w.id = :id', { tenantId: tx.tenantId, id })
        .setLock('pessimistic_write')
        .getOne();
      if (!current) throw notFound(id);
      const now = new Date();
      const until = new Date(now.getTime() + OLD_SECRET_SIGNS_MS).toISOString();
      const kept = current.signingSecrets
        .filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now)
        .map((s) => (s.expiresAt === null ? { ...s, expiresAt: until } : s));
      const signingSecrets = [{ secret, createdAt: now.toISOString(), expiresAt: null }, ...kept];
      await tx.manager.update(
        WebhookEndpoint,
        { tenantId: tx.tenantId, id },
        { signingSecrets, secretPrefix: secret.slice(0, VISIBLE_SECRET_CHARS), updatedAt: now },
      );
      await auditService.record(tx, { action: 'webhook.secret_rotated', targetType: 'webhook_endpoint', targetId: id });
      return { endpoint: (await tx.manager.findOneBy(WebhookEndpoint, { tenantId: tx.tenantId, id }))!, secret };
    });
  },

  /** Deletes delivery log rows older than their tenant keeps events (the tenant's event retention). */
  async purgeExpired(manager: EntityManager): Promise<void> {
    await sql.rows(
      { manager },
      `DELETE FROM webhook_deliveries d USING tenants t
        WHERE d.tenant_id = t.id AND d.created_at < now() - make_interval(days => t.event_retention_days)`,
    );
  },

  /** An endpoint's deliveries, latest event first; `after` is the sequence number of the last one seen. */
  async deliveries(
    ctx: RequestContext,
    endpointId: string,
    options: { first: number; after?: string },
  ): Promise<{ deliveries: WebhookDelivery[]; hasNextPage: boolean; totalCount: number }> {
    const qb = ctx.manager
      .createQueryBuilder(WebhookDelivery, 'd')
      .where('d.tenant_id = :tenantId AND d.endpoint_id = :endpointId', { tenantId: ctx.tenantId, endpointId });
    const totalCount = await qb.clone().getCount();
    if (options.after !== undefined) qb.andWhere('d.event_seq < :after', { after: options.after });
    const rows = await qb.orderBy('d.event_seq', 'DESC').take(options.first + 1).getMany();
    return { deliveries: rows.slice(0, options.first), hasNextPage: rows.length > options.first, totalCount };
  },

  /**
   * Sends a delivery's event again, now, to its endpoint (even a disabled one: the admin asks for it), and records
   * the attempt. The regular order of the endpoint is not affected.
   */
  async redeliver(ctx: RequestContext, deliveryId: string, timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS): Promise<WebhookDelivery> {
    const missing = new DomainError(ErrorCode.NOT_FOUND, `No webhook delivery with id "${deliveryId}" exists.`, 'id');
    if (!isUuid(deliveryId)) throw missing;
    const delivery = await ctx.manager.findOneBy(WebhookDelivery, { tenantId: ctx.tenantId, id: deliveryId });
    if (!delivery) throw missing;
    const endpoint = await ctx.manager
      .createQueryBuilder(WebhookEndpoint, 'w')
      .addSelect('w.signingSecrets')
      .where('w.tenant_id = :tenantId AND w.id = :id', { tenantId: ctx.tenantId, id: delivery.endpointId })
      .getOne();
    if (!endpoint) throw missing;
    const event = await readEvent(ctx, delivery.eventId);
    if (!event) {
      throw new DomainError(ErrorCode.NOT_FOUND, 'The event of this delivery is older than the tenant keeps events; it cannot be sent again.', 'id');
    }
    const sent = await sendWebhook(endpoint.url, endpoint.signingSecrets, event, timeoutMs);
    const now = new Date();
    await ctx.manager.update(
      WebhookDelivery,
      { tenantId: ctx.tenantId, id: delivery.id },
      {
        attempts: () => 'attempts + 1',
        lastStatusCode: sent.statusCode,
        lastError: sent.error,
        lastLatencyMs: sent.latencyMs,
        lastAttemptAt: now,
        ...(sent.ok ? { status: 'delivered' as const, deliveredAt: now, nextAttemptAt: null } : {}),
      },
    );
    await auditService.record(ctx, { action: 'webhook.redelivered', targetType: 'webhook_endpoint', targetId: endpoint.id, changes: { eventId: { from: null, to: event.id } } });
    return (await ctx.manager.findOneBy(WebhookDelivery, { tenantId: ctx.tenantId, id: delivery.id }))!;
  },
};

/** The columns a delivery needs, as WebhookEvent: of `events` (e) and its number in `event_numbers` (n). */
export const EVENT_COLUMNS = `e.id, n.seq::text AS seq, e.type, e.occurred_at, e.actor_surface, e.actor_token_name, e.data::text AS data_json`;

export function toWebhookEvent(row: Record<string, unknown>): WebhookEvent {
  return {
    id: String(row.id),
    seq: String(row.seq),
    type: String(row.type),
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(String(row.occurred_at)),
    actorSurface: String(row.actor_surface),
    actorTokenName: (row.actor_token_name as string | null) ?? null,
    dataJson: String(row.data_json),
  };
}

async function readEvent(ctx: RequestContext, eventId: string): Promise<WebhookEvent | null> {
  // The event by its id, then its number by key (an unnumbered event has none, and is not found).
  const rows = await sql.rows(
    ctx,
    `SELECT ${EVENT_COLUMNS} FROM events e
      CROSS JOIN LATERAL (SELECT m.seq FROM event_numbers m WHERE m.tenant_id = e.tenant_id AND m.position = e.position OFFSET 0) n
      WHERE e.tenant_id = $1 AND e.id = $2`,
    [ctx.tenantId, eventId],
  );
  return rows[0] ? toWebhookEvent(rows[0]) : null;
}
