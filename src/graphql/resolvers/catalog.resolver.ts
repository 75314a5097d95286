import { Arg, Args, Authorized, ClassType, Ctx, FieldResolver, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { CatalogListOptions, CatalogPage, CatalogSortField, catalogService } from '../../services/catalog.service';
import { DomainError, ErrorCode, ErrorIssue } from '../../services/errors';
import { GraphQLContext } from '../context';
import { idOfType, toGlobalId } from '../global-id';
import { CURSOR_PART, ConnectionKit, ConnectionShape, defineConnection } from '../pagination';
import { DeletePayload, ObjectPayload, Payload, PayloadOf, payload } from '../payloads';
import {
  CatalogListArgs,
  CatalogOrderField,
  CreateEmployeeTemplateInput,
  CreateLoginAuthenticatorInput,
  CreateRoleInput,
  CreateTeamInput,
  DEFAULT_CATALOG_ORDER,
  DeleteEmployeeTemplateInput,
  DeleteLoginAuthenticatorInput,
  DeleteRoleInput,
  DeleteTeamInput,
  EmployeeTemplateListArgs,
  LoginAuthenticatorListArgs,
  RoleListArgs,
  TeamListArgs,
  UpdateEmployeeTemplateInput,
  UpdateLoginAuthenticatorInput,
  UpdateRoleInput,
  UpdateTeamInput,
} from '../types/catalog-inputs.type';
import { EmployeeTemplateType, LoginAuthenticatorType, RoleType, TeamType } from '../types/catalog.type';
import { Connection } from '../types/connection.type';
import { OrderDirection } from '../types/order.type';

@ObjectType('RoleConnection', { description: 'A page of roles.' })
export class RoleConnection extends Connection(RoleType, 'Role') {}

@ObjectType('TeamConnection', { description: 'A page of teams.' })
export class TeamConnection extends Connection(TeamType, 'Team') {}

@ObjectType('LoginAuthenticatorConnection', { description: 'A page of login authenticators.' })
export class LoginAuthenticatorConnection extends Connection(LoginAuthenticatorType, 'LoginAuthenticator') {}

@ObjectType('EmployeeTemplateConnection', { description: 'A page of employee templates.' })
export class EmployeeTemplateConnection extends Connection(EmployeeTemplateType, 'EmployeeTemplate') {}

/** The payloads of a catalog kind's create, update and delete mutations (e.g. `CreateRolePayload`). */
function catalogPayloads<T extends object>(type: ClassType<T>, name: string) {
  const field = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
  @PayloadOf(`create${name}`)
  class Create extends ObjectPayload(type, field) {}
  @PayloadOf(`update${name}`)
  class Update extends ObjectPayload(type, field) {}
  @PayloadOf(`delete${name}`)
  class Delete extends DeletePayload(name) {}
  return { Create, Update, Delete };
}

const ROLE_PAYLOADS = catalogPayloads(RoleType, 'Role');
const TEAM_PAYLOADS = catalogPayloads(TeamType, 'Team');
const LOGIN_AUTHENTICATOR_PAYLOADS = catalogPayloads(LoginAuthenticatorType, 'LoginAuthenticator');
const EMPLOYEE_TEMPLATE_PAYLOADS = catalogPayloads(EmployeeTemplateType, 'EmployeeTemplate');

const SORT_FIELDS: Record<CatalogOrderField, CatalogSortField> = { NAME: 'name', CREATED_AT: 'createdAt' };

type CatalogCursor = [CatalogOrderField, string, string];

/**
 * Cursors by order: `[order field, sort key, id]`, so that a cursor of another order is BAD_USER_INPUT. Timestamps
 * are the service's microsecond text.
 */
const CATALOG_CURSORS: Record<CatalogOrderField, ConnectionKit<CatalogCursor>> = {
  NAME: defineConnection(CURSOR_PART.tag('NAME'), CURSOR_PART.text, CURSOR_PART.uuid),
  CREATED_AT: defineConnection(CURSOR_PART.tag('CREATED_AT'), CURSOR_PART.time('microseconds'), CURSOR_PART.uuid),
};

/** A catalog connection's arguments, checked before any SQL runs, and the service options they make. */
function listOptions(args: CatalogListArgs) {
  const order = args.orderBy ?? DEFAULT_CATALOG_ORDER;
  const request = CATALOG_CURSORS[order.field].page(args);
  const options: CatalogListOptions = {
    first: request.first,
    after: request.after ? { key: request.after[1], id: request.after[2] } : null,
    sortBy: SORT_FIELDS[order.field],
    descending: order.direction === OrderDirection.DESC,
  };
  return { field: order.field, request, options };
}

function toConnection<R extends { id: string }, N, C extends ConnectionShape<N>>(
  type: new () => C,
  page: CatalogPage<R>,
  { field, request }: ReturnType<typeof listOptions>,
  toNode: (row: R) => N,
): C {
  const nodes = page.items.map(({ row }) => toNode(row));
  return CATALOG_CURSORS[field].connection(type, request, nodes, page, (_, i) => [field, page.items[i].sortKey, page.items[i].row.id]);
}

/** The uuid inside the global id of the object a mutation works on; NOT_FOUND (on `id`) when it is not one. */
function targetId(globalId: string, type: string, label: string): string {
  const id = idOfType(globalId, type);
  if (!id) throw new DomainError(ErrorCode.NOT_FOUND, `No ${label} with id "${globalId}" exists.`, 'id');
  return id;
}

const TEMPLATE_REFERENCES = [
  { field: 'primaryRoleId', type: 'Role' },
  { field: 'teamId', type: 'Team' },
  { field: 'loginAuthenticatorId', type: 'LoginAuthenticator' },
] as const;

/** Template presets with related global ids turned into uuids; a wrong or malformed id is INVALID_VALUE on its field. */
function templateChanges(input: CreateEmployeeTemplateInput | UpdateEmployeeTemplateInput) {
  const issues: ErrorIssue[] = [];
  const ids: { primaryRoleId?: string | null; teamId?: string | null; loginAuthenticatorId?: string | null } = {};
  for (const { field, type } of TEMPLATE_REFERENCES) {
    const value = input[field];
    if (value === undefined || value === null) {
      ids[field] = value;
      continue;
    }
    const id = idOfType(value, type);
    if (!id) issues.push({ code: ErrorCode.INVALID_VALUE, message: `${field} is not the id of a ${type}.`, field });
    else ids[field] = id;
  }
  if (issues.length > 0) throw new DomainError(issues);
  return { name: input.name, timeZone: input.timeZone, type: input.type, ...ids };
}

@Resolver(() => RoleType)
export class RoleResolver {
  @Query(() => RoleConnection, { description: 'Roles of your tenant; by name unless `orderBy` says otherwise.' })
  async roles(@Args(() => RoleListArgs) args: CatalogListArgs, @Ctx() { ctx }: GraphQLContext): Promise<RoleConnection> {
    const list = listOptions(args);
    const page = await catalogService.list(ctx, 'role', list.options);
    return toConnection(RoleConnection, page, list, RoleType.from);
  }

  @Authorized('admin')
  @Mutation(() => ROLE_PAYLOADS.Create, { description: 'Creates a role.' })
  async createRole(
    @Arg('input', () => CreateRoleInput, { description: 'The new role.' }) input: CreateRoleInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<RoleType>> {
    return payload(ROLE_PAYLOADS.Create, () => catalogService.createRole(ctx, { name: input.name, description: input.description }), RoleType.from);
  }

  @Authorized('admin')
  @Mutation(() => ROLE_PAYLOADS.Update, { description: 'Renames a role or changes its description.' })
  async updateRole(
    @Arg('input', () => UpdateRoleInput, { description: 'The role and the changes.' }) input: UpdateRoleInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<RoleType>> {
    return payload(
      ROLE_PAYLOADS.Update,
      () => catalogService.updateRole(ctx, targetId(input.id, 'Role', 'role'), {
          name: input.name,
          description: input.description,
        }),
      RoleType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => ROLE_PAYLOADS.Delete, {
    description: 'Deletes a role that no employee or template uses and that is not the default role.',
  })
  async deleteRole(
    @Arg('input', () => DeleteRoleInput, { description: 'The role to delete.' }) input: DeleteRoleInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<string>> {
    return payload(
      ROLE_PAYLOADS.Delete,
      () => catalogService.deleteRole(ctx, targetId(input.id, 'Role', 'role')),
      (role) => toGlobalId('Role', role.id),
    );
  }
}

@Resolver(() => TeamType)
export class TeamResolver {
  @Query(() => TeamConnection, { description: 'Teams of your tenant; by name unless `orderBy` says otherwise.' })
  async teams(@Args(() => TeamListArgs) args: CatalogListArgs, @Ctx() { ctx }: GraphQLContext): Promise<TeamConnection> {
    const list = listOptions(args);
    const page = await catalogService.list(ctx, 'team', list.options);
    return toConnection(TeamConnection, page, list, TeamType.from);
  }

  @Authorized('admin')
  @Mutation(() => TEAM_PAYLOADS.Create, { description: 'Creates a team.' })
  async createTeam(
    @Arg('input', () => CreateTeamInput, { description: 'The new team.' }) input: CreateTeamInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<TeamType>> {
    return payload(TEAM_PAYLOADS.Create, () => catalogService.createTeam(ctx, { name: input.name, description: input.description }), TeamType.from);
  }

  @Authorized('admin')
  @Mutation(() => TEAM_PAYLOADS.Update, { description: 'Renames a team or changes its description.' })
  async updateTeam(
    @Arg('input', () => UpdateTeamInput, { description: 'The team and the changes.' }) input: UpdateTeamInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<TeamType>> {
    return payload(
      TEAM_PAYLOADS.Update,
      () => catalogService.updateTeam(ctx, targetId(input.id, 'Team', 'team'), {
          name: input.name,
          description: input.description,
        }),
      TeamType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => TEAM_PAYLOADS.Delete, { description: 'Deletes a team that no employee or template uses.' })
  async deleteTeam(
    @Arg('input', () => DeleteTeamInput, { description: 'The team to delete.' }) input: DeleteTeamInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<string>> {
    return payload(
      TEAM_PAYLOADS.Delete,
      () => catalogService.deleteTeam(ctx, targetId(input.id, 'Team', 'team')),
      (team) => toGlobalId('Team', team.id),
    );
  }
}

@Resolver(() => LoginAuthenticatorType)
export class LoginAuthenticatorResolver {
  @Query(() => LoginAuthenticatorConnection, {
    description: 'Login authenticators of your tenant; by name unless `orderBy` says otherwise.',
  })
  async loginAuthenticators(
    @Args(() => LoginAuthenticatorListArgs) args: CatalogListArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<LoginAuthenticatorConnection> {
    const list = listOptions(args);
    const page = await catalogService.list(ctx, 'loginAuthenticator', list.options);
    return toConnection(LoginAuthenticatorConnection, page, list, LoginAuthenticatorType.from);
  }

  @Authorized('admin')
  @Mutation(() => LOGIN_AUTHENTICATOR_PAYLOADS.Create, {
    description: 'Creates a login authenticator; with isDefault it replaces the current default.',
  })
  async createLoginAuthenticator(
    @Arg('input', () => CreateLoginAuthenticatorInput, { description: 'The new login authenticator.' })
    input: CreateLoginAuthenticatorInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<LoginAuthenticatorType>> {
    return payload(
      LOGIN_AUTHENTICATOR_PAYLOADS.Create,
      () => catalogService.createLoginAuthenticator(ctx, { name: input.name, isDefault: input.isDefault ?? undefined }),
      LoginAuthenticatorType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => LOGIN_AUTHENTICATOR_PAYLOADS.Update, {
    description: 'Renames a login authenticator or makes it the default (which clears the previous default).',
  })
  async updateLoginAuthenticator(
    @Arg('input', () => UpdateLoginAuthenticatorInput, { description: 'The login authenticator and the changes.' })
    input: UpdateLoginAuthenticatorInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<LoginAuthenticatorType>> {
    return payload(
      LOGIN_AUTHENTICATOR_PAYLOADS.Update,
      () =>
        catalogService.updateLoginAuthenticator(ctx, targetId(input.id, 'LoginAuthenticator', 'login authenticator'), {
          name: input.name,
          isDefault: input.isDefault ?? undefined,
        }),
      LoginAuthenticatorType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => LOGIN_AUTHENTICATOR_PAYLOADS.Delete, {
    description: 'Deletes a login authenticator that no employee or template uses and that is not the default.',
  })
  async deleteLoginAuthenticator(
    @Arg('input', () => DeleteLoginAuthenticatorInput, { description: 'The login authenticator to delete.' })
    input: DeleteLoginAuthenticatorInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<string>> {
    return payload(
      LOGIN_AUTHENTICATOR_PAYLOADS.Delete,
      () => catalogService.deleteLoginAuthenticator(ctx, targetId(input.id, 'LoginAuthenticator', 'login authenticator')),
      (authenticator) => toGlobalId('LoginAuthenticator', authenticator.id),
    );
  }
}

@Resolver(() => EmployeeTemplateType)
export class EmployeeTemplateResolver {
  @Query(() => EmployeeTemplateConnection, {
    description: 'Employee templates of your tenant; by name unless `orderBy` says otherwise.',
  })
  async employeeTemplates(
    @Args(() => EmployeeTemplateListArgs) args: CatalogListArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<EmployeeTemplateConnection> {
    const list = listOptions(args);
    const page = await catalogService.list(ctx, 'employeeTemplate', list.options);
    return toConnection(EmployeeTemplateConnection, page, list, EmployeeTemplateType.from);
  }

  @Authorized('admin')
  @Mutation(() => EMPLOYEE_TEMPLATE_PAYLOADS.Create, { description: 'Creates an employee template.' })
  async createEmployeeTemplate(
    @Arg('input', () => CreateEmployeeTemplateInput, { description: 'The new employee template.' })
    input: CreateEmployeeTemplateInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<EmployeeTemplateType>> {
    return payload(
      EMPLOYEE_TEMPLATE_PAYLOADS.Create,
      () => catalogService.createEmployeeTemplate(ctx, { ...templateChanges(input), name: input.name }),
      EmployeeTemplateType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => EMPLOYEE_TEMPLATE_PAYLOADS.Update, {
    description: 'Changes an employee template. Employees created from it earlier keep their values.',
  })
  async updateEmployeeTemplate(
    @Arg('input', () => UpdateEmployeeTemplateInput, { description: 'The employee template and the changes.' })
    input: UpdateEmployeeTemplateInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<EmployeeTemplateType>> {
    return payload(
      EMPLOYEE_TEMPLATE_PAYLOADS.Update,
      () =>
        catalogService.updateEmployeeTemplate(
          ctx,
          targetId(input.id, 'EmployeeTemplate', 'employee template'),
          templateChanges(input),
        ),
      EmployeeTemplateType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => EMPLOYEE_TEMPLATE_PAYLOADS.Delete, {
    description: 'Deletes an employee template. Employees created from it keep their values.',
  })
  async deleteEmployeeTemplate(
    @Arg('input', () => DeleteEmployeeTemplateInput, { description: 'The employee template to delete.' })
    input: DeleteEmployeeTemplateInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<string>> {
    return payload(
      EMPLOYEE_TEMPLATE_PAYLOADS.Delete,
      () => catalogService.deleteEmployeeTemplate(ctx, targetId(input.id, 'EmployeeTemplate', 'employee template')),
      (template) => toGlobalId('EmployeeTemplate', template.id),
    );
  }

  @FieldResolver(() => RoleType, { nullable: true, description: 'The preset primary role; null when none.' })
  async primaryRole(@Root() template: EmployeeTemplateType, @Ctx() { loaders }: GraphQLContext): Promise<RoleType | null> {
    if (!template.primaryRoleId) return null;
    const role = await loaders.role.load(template.primaryRoleId);
    return role ? RoleType.from(role) : null;
  }

  @FieldResolver(() => TeamType, { nullable: true, description: 'The preset team; null when none.' })
  async team(@Root() template: EmployeeTemplateType, @Ctx() { loaders }: GraphQLContext): Promise<TeamType | null> {
    if (!template.teamId) return null;
    const team = await loaders.team.load(template.teamId);
    return team ? TeamType.from(team) : null;
  }

  @FieldResolver(() => LoginAuthenticatorType, { nullable: true, description: 'The preset login authenticator; null when none.' })
  async loginAuthenticator(
    @Root() template: EmployeeTemplateType,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<LoginAuthenticatorType | null> {
    if (!template.loginAuthenticatorId) return null;
    const authenticator = await loaders.loginAuthenticator.load(template.loginAuthenticatorId);
    return authenticator ? LoginAuthenticatorType.from(authenticator) : null;
  }
}

/** Every catalog resolver, for the schema's resolver list. */
export const CATALOG_RESOLVERS = [RoleResolver, TeamResolver, LoginAuthenticatorResolver, EmployeeTemplateResolver] as const;
