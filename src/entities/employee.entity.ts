import {
  Check,
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
import { EMPLOYEE_STATUSES, EmployeeStatus, MANAGED_BY, ManagedBy, sqlList } from './enums';
import { LoginAuthenticator } from './login-authenticator.entity';
import { Role } from './role.entity';
import { Team } from './team.entity';

/**
 * A person in the directory. Related rows are referenced through composite keys `(tenant_id, x_id)`, so the database
 * itself refuses a role, team or authenticator of another tenant.
 */
@Entity({ name: 'employees' })
// Usernames are unique per tenant by canonical key. A soft-deleted employee holds no key (NULL), so its username is
// free again; not partial, so that a lookup by key needs no deleted_at condition (see viewsByUsername). The same
// index serves userName lookups and pages ordered by username.
@Index('uq_employees_tenant_username_key', ['tenantId', 'usernameKey'], { unique: true })
// The key of live employees, so that a statement for one live employee has an index with its key that no partial
// index without it can tie with when the tenant has no statistics (migration LiveEmployeeKey).
@Index('uq_employees_tenant_id_live', ['tenantId', 'id'], { unique: true, where: 'deleted_at IS NULL' })
@Index('ix_employees_tenant_external_id', ['tenantId', 'externalId'])
// Entra's matching on the work email (migration EmployeesByEmail).
@Index('ix_employees_tenant_email', ['tenantId', 'email'], { where: 'deleted_at IS NULL' })
// SCIM lists' default order, creation then id (migration ListCreationOrder).
@Index('ix_employees_tenant_created', ['tenantId', 'createdAt', 'id'], { where: 'deleted_at IS NULL' })
// Trigram index for substring search, created by migration EmployeeSearchIndex (an expression TypeORM cannot model).
@Index('ix_employees_search_trgm', { synchronize: false })
// Name order (last, first, id) in the ICU root collation, created by migration Lists (TypeORM cannot model a column's
// collation in an index); see src/services/collation.ts.
@Index('ix_employees_tenant_name', { synchronize: false })
@Check('ck_employees_status', `status IN (${sqlList(EMPLOYEE_STATUSES)})`)
@Check('ck_employees_managed_by', `managed_by IN (${sqlList(MANAGED_BY)})`)
export class Employee {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Tenant;

  @PrimaryGeneratedColumn('uuid')
  id: string;

  /**
   * As sent (trimmed, NFC), for display: an email address unless the tenant's username format is ANY. Never compared
   * as such (citext would follow the database's locale): see usernameKey.
   */
  @Column({ type: 'citext' })
  username: string;

  /**
   * The username's canonical key (src/services/username-key.ts: PRECIS UsernameCaseMapped), computed by Rollcall on
   * every write: uniqueness, userName lookups and filters, and the username order compare it (SCIM `userName` has
   * caseExact false). NULL once the employee is deleted. A username that collided with an older one's key when the
   * key was introduced keeps `<key>` U+0001 `<id>` until it is renamed (migration UsernameKey reports each one).
   */
  @Column({ type: 'text', nullable: true })
  usernameKey: string | null;

  @Column({ type: 'text' })
  firstName: string;

  @Column({ type: 'text' })
  lastName: string;

  @Column({ type: 'citext' })
  email: string;

  @Column({ type: 'text', nullable: true })
  displayName: string | null;

  @Column({ type: 'text', nullable: true })
  middleName: string | null;

  /**
   * As sent or typed (`312-320-1707`, `+1 312 320 1707`): Microsoft asks SCIM servers to return values exactly as
   * sent. The E.164 form is derived when read, with the tenant's default phone region (toE164).
   */
  @Column({ type: 'text', nullable: true })
  mobileNumber: string | null;

  /** IANA time zone, e.g. Europe/Paris. */
  @Column({ type: 'text', nullable: true })
  timeZone: string | null;

  @Column({ type: 'text', nullable: true })
  type: string | null;

  @Column({ type: 'uuid', nullable: true })
  loginAuthenticatorId: string | null;

  @Column({ type: 'uuid', nullable: true })
  primaryRoleId: string | null;

  @Column({ type: 'uuid', nullable: true })
  teamId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'ACTIVE' })
  status: EmployeeStatus;

  @Column({ type: 'varchar', length: 24 })
  managedBy: ManagedBy;

  /** SCIM `name.formatted` as the IdP sent it; null means it is computed from the name's parts. */
  @Column({ type: 'text', nullable: true })
  formattedName: string | null;

  /** The IdP's own id for this person: stored and returned, never used as a key. */
  @Column({ type: 'text', nullable: true })
  externalId: string | null;

  /** Incremented on every change; SCIM exposes it as the ETag. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @ManyToOne(() => Role, { nullable: true, onDelete: 'RESTRICT', createForeignKeyConstraints: true })
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
