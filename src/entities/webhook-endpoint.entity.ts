import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from './tenant.entity';
import { WEBHOOK_DELIVERY_STATUSES, WebhookDeliveryStatus, sqlList } from './enums';

/** A signing secret of an endpoint. During a rotation the old one keeps signing beside the new one until it expires. */
export interface WebhookSigningSecret {
  /** `whsec_` + base64 of 32 random bytes (the Standard Webhooks form). */
  secret: string;
  createdAt: string;
  /** ISO time after which it no longer signs; null for the current secret. */
  expiresAt: string | null;
}

/**
 * A receiver of the tenant's change feed (issue 18, docs/events.md "Webhooks"). The dispatcher
 * (src/services/webhook-dispatcher.ts) sends it every event of its types after `cursor_seq`, in sequence order, one at
 * a time: a failing event is retried with backoff and holds the later ones back, so a receiver never sees an event
 * before an earlier one. `lease_*` is which instance works the endpoint until when, so that two instances never send
 * to one endpoint at once and a killed instance's lease simply runs out.
 *
 * The signing secrets must be usable to sign, so unlike access tokens they cannot be stored as hashes: they are stored
 * as they are, never logged and never returned by the API after the mutation that made them.
 */
@Entity({ name: 'webhook_endpoints' })
// The dispatcher's claim: enabled endpoints by due time.
@Index('ix_webhook_endpoints_due', ['nextAttemptAt'], { where: 'enabled' })
export class WebhookEndpoint {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** The event types sent (`employee.created`, …). */
  @Column({ type: 'text', array: true })
  eventTypes: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Why the endpoint was disabled by Rollcall (3 days of failures); null when enabled or disabled by an admin. */
  @Column({ type: 'text', nullable: true })
  disabledReason: string | null;

  @Column({ type: 'jsonb', select: false })
  signingSecrets: WebhookSigningSecret[];

  /** The first characters of the current secret, to recognise it. */
  @Column({ type: 'text' })
  secretPrefix: string;

  /** The last sequence number dealt with: sent, or not of the endpoint's types. */
  @Column({ type: 'bigint', default: 0 })
  cursorSeq: string;

  /** Failed attempts at the event after the cursor. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Since when the event after the cursor has failed; null while deliveries succeed. */
  @Column({ type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  /** When the dispatcher may try again (backoff); null: as soon as there is an event. */
  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  @Column({ type: 'text', nullable: true })
  leaseOwner: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastDeliveryAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

/**
 * The delivery log: one row per event and endpoint that was attempted, updated by each attempt (the redeliver mutation
 * included). Purged with the tenant's events (their retention).
 */
@Entity({ name: 'webhook_deliveries' })
@Index('uq_webhook_deliveries_endpoint_seq', ['tenantId', 'endpointId', 'eventSeq'], { unique: true })
@Check('ck_webhook_deliveries_status', `status IN (${sqlList(WEBHOOK_DELIVERY_STATUSES)})`)
export class WebhookDelivery {
  // No foreign keys: a row is written for every event sent to every endpoint (ten endpoints, ten rows per change),
  // and the two checks per row were 40 % of the insert's cost (migration WebhookDeliveriesLean). Deleting an endpoint
  // deletes its log in the same transaction (webhookService.remove); tenants are never deleted.
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  endpointId: string;

  /** The event's id, also the `webhook-id` header: the same for every attempt. */
  @Column({ type: 'uuid' })
  eventId: string;

  @Column({ type: 'bigint' })
  eventSeq: string;

  @Column({ type: 'text' })
  eventType: string;

  @Column({ type: 'varchar', length: 16 })
  status: WebhookDeliveryStatus;

  @Column({ type: 'integer' })
  attempts: number;

  /** The receiver's HTTP status of the last attempt; null when it gave none (refused, timed out). */
  @Column({ type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  @Column({ type: 'integer', nullable: true })
  lastLatencyMs: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  lastAttemptAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
