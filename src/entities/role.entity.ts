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

/** A role an employee can hold (seeded per tenant: Agent, Supervisor, Administrator). */
@Entity({ name: 'roles' })
@Index('uq_roles_tenant_name', ['tenantId', 'name'], { unique: true })
export class Role {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Unique per tenant, compared case-insensitively (citext). */
  @Column({ type: 'citext' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
