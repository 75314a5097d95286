import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Tenant } from './tenant.entity';
import { ACTOR_SURFACES, ActorSurface, sqlList } from './enums';

/** `{ field: { from, to } }` for each field a change touched. */
export type AuditChanges = Record<string, { from: unknown; to: unknown }>;

/** Append-only record of every change, written in the same transaction as the change it describes. */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_tenant_target', ['tenantId', 'targetType', 'targetId', 'occurredAt'])
@Index('ix_audit_events_tenant_time', ['tenantId', 'occurredAt'])
@Check('ck_audit_events_actor_surface', `actor_surface IN (${sqlList(ACTOR_SURFACES)})`)
export class AuditEvent {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 16 })
  actorSurface: ActorSurface;

  @Column({ type: 'uuid', nullable: true })
  actorTokenId: string | null;

  /** e.g. `employee.created`, `employee.updated`, `employee.claimed`, `token.revoked`. */
  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text' })
  targetType: string;

  @Column({ type: 'uuid', nullable: true })
  targetId: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  changes: AuditChanges;

  @Column({ type: 'text', nullable: true })
  requestId: string | null;
}
