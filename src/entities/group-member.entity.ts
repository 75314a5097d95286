import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Employee } from './employee.entity';
import { Group } from './group.entity';

/**
 * One employee's membership of one group. Both references are composite `(tenant_id, x_id)` keys, so a group can only
 * hold employees of its own tenant. The primary key (tenant, group, employee) serves a group's member list; the
 * (tenant, employee) index serves an employee's groups.
 */
@Entity({ name: 'group_members' })
@Index('ix_group_members_tenant_employee', ['tenantId', 'employeeId'])
export class GroupMember {
  @PrimaryColumn({ type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ type: 'uuid' })
  groupId: string;

  @PrimaryColumn({ type: 'uuid' })
  employeeId: string;

  @ManyToOne(() => Group, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'group_id', referencedColumnName: 'id' },
  ])
  group?: Group;

  // Employees are soft-deleted (their memberships are removed then, by the service); the cascade only matters if an
  // employee row is ever purged.
  @ManyToOne(() => Employee, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'employee_id', referencedColumnName: 'id' },
  ])
  employee?: Employee;
}
