import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from './tenant.entity';
import { sqlList } from './enums';

/** An optional value a SCIM write skipped: the SCIM path, the value as sent, and why. */
export interface ProvisioningWarning {
  attribute: string;
  value: string;
  reason: string;
}

/** WARNING: the request succeeded, but optional values were skipped (see `warnings`). */
export const PROVISIONING_OUTCOMES = ['SUCCESS', 'WARNING', 'FAILURE'] as const;
export type ProvisioningOutcome = (typeof PROVISIONING_OUTCOMES)[number];

/**
 * The SCIM provisioning log: the outcome of every SCIM write and of every failed SCIM request, so an admin can see
 * why the IdP flagged a person. Successful reads are not recorded. Old rows are purged per the tenant's retention.
 */
@Entity({ name: 'provisioning_events' })
@Index('ix_provisioning_events_tenant_time', ['tenantId', 'occurredAt'])
@Index('ix_provisioning_events_tenant_employee', ['tenantId', 'employeeId', 'occurredAt'])
// Trigram index for the userName search of the log, created by migration Lists (TypeORM cannot model GIN indexes).
@Index('ix_provisioning_events_user_name_trgm', { synchronize: false })
@Check('ck_provisioning_events_outcome', `outcome IN (${sqlList(PROVISIONING_OUTCOMES)})`)
export class ProvisioningEvent {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  @Column({ type: 'varchar', length: 8 })
  outcome: ProvisioningOutcome;

  @Column({ type: 'varchar', length: 8 })
  method: string;

  @Column({ type: 'text' })
  path: string;

  @Column({ type: 'smallint' })
  status: number;

  @Column({ type: 'text', nullable: true })
  scimType: string | null;

  @Column({ type: 'text', nullable: true })
  detail: string | null;

  /** The employee the request concerned, when known (no foreign key: the log outlives nothing, but must not block). */
  @Column({ type: 'uuid', nullable: true })
  employeeId: string | null;

  /** The userName the IdP sent, to find failed creates that have no employee. */
  @Column({ type: 'text', nullable: true })
  userName: string | null;

  /** Attributes the IdP sent that the tenant does not import. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  ignoredAttributes: string[];

  /** Optional values that could not be used and were skipped (the request itself succeeded). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  warnings: ProvisioningWarning[];

  @Column({ type: 'integer' })
  durationMs: number;

  @Column({ type: 'text' })
  requestId: string;

  @Column({ type: 'uuid', nullable: true })
  tokenId: string | null;
}
