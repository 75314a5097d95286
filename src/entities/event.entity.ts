import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from './tenant.entity';
import { ACTOR_SURFACES, ActorSurface, EVENT_TYPES, EventType, sqlList } from './enums';

/**
 * The change feed's outbox: one row per change a consumer is told about, written by a trigger on `audit_events` in
 * the transaction of the change (migration Events), so a rolled-back change has no event and a committed one always
 * has. Rows are never updated: the sequence number is assigned after commit by the sequencer (eventService.sequence),
 * in `event_numbers` (EventNumber), so that sequence order is the order in which events became visible: see
 * docs/events.md, "Ordering".
 */
@Entity({ name: 'events' })
// How `event_numbers` (and `event_pending`) rows find their event.
@Index('uq_events_tenant_position', ['tenantId', 'position'], { unique: true })
// Retention: the purge deletes by age.
@Index('ix_events_tenant_time', ['tenantId', 'occurredAt'])
@Check('ck_events_type', `type IN (${sqlList(EVENT_TYPES)})`)
@Check('ck_events_actor_surface', `actor_surface IN (${sqlList(ACTOR_SURFACES)})`)
export class Event {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  /** The event's id: stable, the de-duplication key for consumers (and a webhook's `webhook-id`). */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /**
   * Insertion order across all tenants (an identity): the order the sequencer numbers committed rows in, and the key
   * by which `event_pending` and `event_numbers` name the event.
   */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  position: string;

  @Column({ type: 'text' })
  type: EventType;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 16 })
  actorSurface: ActorSurface;

  @Column({ type: 'uuid', nullable: true })
  actorTokenId: string | null;

  /** The token's name when the change was made (a token can be revoked later; the event keeps who it was). */
  @Column({ type: 'text', nullable: true })
  actorTokenName: string | null;

  /** `employee` or `group`. */
  @Column({ type: 'text' })
  resourceType: string;

  @Column({ type: 'uuid' })
  resourceId: string;

  /** The payload: the resource after the change, and per type the changes or member ids (docs/events.md). */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  /** The audit row the event was derived from. */
  @Column({ type: 'uuid' })
  auditEventId: string;

  @Column({ type: 'text', nullable: true })
  requestId: string | null;
}

/** Per tenant, the last sequence number handed out; its row lock serialises the tenant's sequencer runs. */
@Entity({ name: 'event_sequences' })
export class EventSequence {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @Column({ type: 'bigint', default: 0 })
  lastSeq: string;
}

/**
 * An event not numbered yet (one per `events` row, inserted beside it by the trigger of migration Events): the
 * sequencer's work list, deleted when it numbers the event. Tiny, and empty when the feed is idle.
 */
@Entity({ name: 'event_pending' })
export class EventPending {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_event_pending' })
  tenantId: string;

  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_event_pending' })
  position: string;
}

/**
 * A numbered event: its tenant-local sequence number, 1, 2, 3, …, given after commit by the sequencer, and the
 * `events.position` of the event (readers join by (tenant_id, position)). The consumers' order and cursors.
 */
@Entity({ name: 'event_numbers' })
@Index('uq_event_numbers_tenant_position', ['tenantId', 'position'], { unique: true })
export class EventNumber {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_event_numbers' })
  tenantId: string;

  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_event_numbers' })
  seq: string;

  @Column({ type: 'bigint' })
  position: string;
}
