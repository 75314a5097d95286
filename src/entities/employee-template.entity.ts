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
import { LoginAuthenticator } from './login-authenticator.entity';
import { Role } from './role.entity';
import { Team } from './team.entity';

/** Presets a SCIM create can name (Rollcall extension `employeeTemplate`); they apply before explicit fields. */
@Entity({ name: 'employee_templates' })
@Index('uq_employee_templates_tenant_name', ['tenantId', 'name'], { unique: true })
export class EmployeeTemplate {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'citext' })
  name: string;

  @Column({ type: 'uuid', nullable: true })
  primaryRoleId: string | null;

  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  @Column({ type: 'text', nullable: true })
  timeZone: string | null;

  @Column({ type: 'text', nullable: true })
  type: string | null;

  @Column({ type: 'uuid', nullable: true })
  loginAuthenticatorId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => Role, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'primary_role_id', referencedColumnName: 'id' },
  ])
  primaryRole?: Role | null;

  @ManyToOne(() => Team, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'team_id', referencedColumnName: 'id' },
  ])
  team?: Team | null;

  @ManyToOne(() => LoginAuthenticator, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'login_authenticator_id', referencedColumnName: 'id' },
  ])
  loginAuthenticator?: LoginAuthenticator | null;
}
