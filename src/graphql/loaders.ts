import DataLoader from 'dataloader';
import { Employee, Group, LoginAuthenticator, Role, Team } from '../entities';
import { ActorName, auditService } from '../services/audit.service';
import { catalogService } from '../services/catalog.service';
import { RequestContext } from '../services/context';
import { employeeService } from '../services/employee.service';
import { groupService } from '../services/group.service';
import { tenantService } from '../services/tenant.service';

function byId<T extends { id: string }>(load: (ids: readonly string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await load(ids);
    const map = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load());
}

/** Per-request DataLoaders: a page of employees loads each related kind with one query, not one per employee. */
export function createLoaders(ctx: RequestContext) {
  return {
    role: byId<Role>((ids) => catalogService.rolesByIds(ctx, ids)),
    team: byId<Team>((ids) => catalogService.teamsByIds(ctx, ids)),
    loginAuthenticator: byId<LoginAuthenticator>((ids) => catalogService.loginAuthenticatorsByIds(ctx, ids)),
    employee: byId<Employee>((ids) => employeeService.getMany(ctx, ids)),
    group: byId<Group>((ids) => groupService.getMany(ctx, ids)),
    /** The tenant's default phone region, read once per request (for `Employee.mobileNumberE164`). */
    phoneRegion: once(async () => (await tenantService.settings(ctx)).defaultPhoneRegion),
    /** Who an audit row's actor id names: an access token or an OAuth client, with its name (for `Actor`). */
    actor: new DataLoader<string, ActorName | null>(async (ids) => {
      const found = await auditService.actorNames(ctx, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    /** The actor id (access token or OAuth client) whose request created each group, for `Group.provisionedBy`. */
    groupCreator: new DataLoader<string, string | null>(async (groupIds) => {
      const found = await auditService.creators(ctx, 'group', groupIds);
      return groupIds.map((id) => found.get(id.toLowerCase()) ?? null);
    }),
    /** Group ids of each employee, for `Employee.groups`. */
    groupIdsOfEmployee: new DataLoader<string, string[]>(async (employeeIds) => {
      const byEmployee = await groupService.groupsOfEmployees(ctx, employeeIds);
      return employeeIds.map((id) => (byEmployee.get(id.toLowerCase()) ?? []).map((g) => g.id));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
