import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Tenant } from './tenant.entity';

/**
 * A group of employees, owned by the identity provider (Okta Group Push, Entra group provisioning). Its members are
 * rows of `group_members`, never an array on this row, so a membership change touches only the rows it changes.
 */
@Entity({ name: 'groups' })
// SCIM displayName is unique per tenant and compared without regard to case (citext).
@Index('uq_groups_tenant_display_name', ['tenantId', 'displayName'], { unique: true })
@Index('ix_groups_tenant_external_id', ['tenantId', 'externalId'])
// SCIM lists' default order, creation then id (migration ListCreationOrder).
@Index('ix_groups_tenant_created', ['tenantId', 'createdAt', 'id'])
export class Group {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'citext' })
  displayName: string;

  /** The IdP's own id for this group: stored and returned, never used as a key. */
  @Column({ type: 'text', nullable: true })
  externalId: string | null;

  /** Incremented on every change, membership included; SCIM exposes it as the ETag. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
