import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { EmployeeStatus } from '../../entities/enums';
import { EmployeeChanges, employeeService } from '../../services/employee.service';
import { DomainError, ErrorCode } from '../../services/errors';
import { hasControlCharacters } from '../../services/validation';
import { GraphQLContext } from '../context';
import { badUserInput, withUserErrors } from '../errors';
import { idOfType } from '../global-id';
import { LoginAuthenticatorType, RoleType, TeamType } from '../types/catalog.type';
import { Connection, PageInfo } from '../types/connection.type';
import { EmployeeType } from '../types/employee.type';
import { EmployeeStatusEnum } from '../types/enums';
import { UserError } from '../types/user-error.type';

export const MAX_PAGE_SIZE = 100;

@ObjectType('EmployeeConnection', { description: 'A page of employees.' })
export class EmployeeConnection extends Connection(EmployeeType, 'Employee') {}

@ArgsType()
class EmployeesArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Substring to find in first, last or display name, username or email (case-insensitive).',
  })
  search?: string | null;

  @Field(() => Int, { defaultValue: 20, description: `How many employees to return (1 to ${MAX_PAGE_SIZE}).` })
  first: number;

  @Field(() => String, { nullable: true, description: 'Return employees after this cursor (a previous `endCursor`).' })
  after?: string | null;
}

@InputType('UpdateEmployeeInput', {
  description:
    'Changes to an employee. Omitted fields stay as they are; null clears an optional field. For IdP-managed ' +
    'employees username, firstName, lastName, email and status are refused with IDP_MANAGED_FIELD.',
})
class UpdateEmployeeInput {
  @Field(() => ID, { description: 'Global id of the employee.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'New username (an email address).' })
  username?: string | null;

  @Field(() => String, { nullable: true, description: 'New given name.' })
  firstName?: string | null;

  @Field(() => String, { nullable: true, description: 'New family name.' })
  lastName?: string | null;

  @Field(() => String, { nullable: true, description: 'New work email address.' })
  email?: string | null;

  @Field(() => EmployeeStatusEnum, { nullable: true, description: 'New status.' })
  status?: EmployeeStatusEnum | null;

  @Field(() => String, { nullable: true, description: 'New display name; null clears it.' })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'New middle name; null clears it.' })
  middleName?: string | null;

  @Field(() => String, { nullable: true, description: 'New mobile number (E.164); null clears it.' })
  mobileNumber?: string | null;

  @Field(() => String, { nullable: true, description: 'New IANA time zone; null clears it.' })
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'New employee type; null clears it.' })
  type?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the new primary role; null clears it.' })
  primaryRoleId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the new team; null clears it.' })
  teamId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the new login authenticator; null clears it.' })
  loginAuthenticatorId?: string | null;
}

@ObjectType('UpdateEmployeePayload', { description: 'Result of updateEmployee.' })
class UpdateEmployeePayload {
  @Field(() => EmployeeType, { nullable: true, description: 'The employee after the change; null when refused.' })
  employee: EmployeeType | null;

  @Field(() => [UserError], { description: 'Why the change was refused; empty on success. Nothing is written when not empty.' })
  userErrors: UserError[];
}

interface Cursor {
  username: string;
  id: string;
}

function encodeCursor(employee: EmployeeType): string {
  return Buffer.from(JSON.stringify([employee.username, employee.uuid])).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const [username, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof username === 'string' && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) return { username, id };
  } catch {
    /* fall through */
  }
  throw badUserInput('`after` is not a cursor returned by this API.');
}

const REFERENCES = [
  { field: 'primaryRoleId', type: 'Role' },
  { field: 'teamId', type: 'Team' },
  { field: 'loginAuthenticatorId', type: 'LoginAuthenticator' },
] as const;

/** Turns the GraphQL input into domain changes: global ids to uuids, GraphQL null to "clear" or "required". */
function toChanges(input: UpdateEmployeeInput): EmployeeChanges {
  const changes: EmployeeChanges = {};
  const issues: { code: ErrorCode; message: string; field: string }[] = [];
  for (const field of ['username', 'firstName', 'lastName', 'email'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (value === null) issues.push({ code: ErrorCode.REQUIRED, message: `${field} cannot be null.`, field });
    else changes[field] = value;
  }
  if (input.status === null) issues.push({ code: ErrorCode.REQUIRED, message: 'status cannot be null.', field: 'status' });
  else if (input.status !== undefined) changes.status = input.status as EmployeeStatus;
  for (const field of ['displayName', 'middleName', 'mobileNumber', 'timeZone', 'type'] as const) {
    if (input[field] !== undefined) changes[field] = input[field];
  }
  for (const { field, type } of REFERENCES) {
    const value = input[field];
    if (value === undefined) continue;
    if (value === null) {
      changes[field] = null;
      continue;
    }
    const id = idOfType(value, type);
    if (!id) issues.push({ code: ErrorCode.INVALID_VALUE, message: `${field} is not the id of a ${type}.`, field });
    else changes[field] = id;
  }
  if (issues.length > 0) throw new DomainError(issues);
  return changes;
}

@Resolver(() => EmployeeType)
export class EmployeeResolver {
  @Query(() => EmployeeType, { nullable: true, description: 'An employee of your tenant by global id; null if none.' })
  async employee(
    @Arg('id', () => ID, { description: 'Global id of the employee.' }) id: string,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<EmployeeType | null> {
    const uuid = idOfType(id, 'Employee');
    if (!uuid) return null;
    const employee = await employeeService.get(ctx, uuid);
    return employee ? EmployeeType.from(employee) : null;
  }

  @Query(() => EmployeeConnection, { description: 'Employees of your tenant, ordered by username.' })
  async employees(@Args() args: EmployeesArgs, @Ctx() { ctx }: GraphQLContext): Promise<EmployeeConnection> {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
      throw badUserInput(`\`first\` must be between 1 and ${MAX_PAGE_SIZE}.`);
    }
    if (args.search && (args.search.length > 200 || hasControlCharacters(args.search))) {
      throw badUserInput('`search` must be at most 200 characters without control characters.');
    }
    const after = args.after ? decodeCursor(args.after) : null;
    const page = await employeeService.search(ctx, { search: args.search, first: args.first, after });
    const nodes = page.employees.map(EmployeeType.from);
    const edges = nodes.map((node) => ({ cursor: encodeCursor(node), node }));
    const pageInfo = Object.assign(new PageInfo(), {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    });
    return Object.assign(new EmployeeConnection(), { edges, nodes, pageInfo, totalCount: page.totalCount });
  }

  @Authorized('admin')
  @Mutation(() => UpdateEmployeePayload, {
    description: 'Changes an employee. All changes apply together or, when any userError is returned, none do.',
  })
  async updateEmployee(
    @Arg('input', () => UpdateEmployeeInput, { description: 'The employee and the changes.' }) input: UpdateEmployeeInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<UpdateEmployeePayload> {
    const { result, userErrors } = await withUserErrors(async () => {
      const uuid = idOfType(input.id, 'Employee');
      if (!uuid) throw new DomainError(ErrorCode.NOT_FOUND, `No employee with id "${input.id}" exists.`, 'id');
      return employeeService.update(ctx, uuid, toChanges(input));
    });
    return Object.assign(new UpdateEmployeePayload(), { employee: result ? EmployeeType.from(result) : null, userErrors });
  }

  @FieldResolver(() => RoleType, { nullable: true, description: 'The primary role.' })
  async primaryRole(@Root() employee: EmployeeType, @Ctx() { loaders }: GraphQLContext): Promise<RoleType | null> {
    if (!employee.primaryRoleId) return null;
    const role = await loaders.role.load(employee.primaryRoleId);
    return role ? RoleType.from(role) : null;
  }

  @FieldResolver(() => TeamType, { nullable: true, description: 'The team.' })
  async team(@Root() employee: EmployeeType, @Ctx() { loaders }: GraphQLContext): Promise<TeamType | null> {
    if (!employee.teamId) return null;
    const team = await loaders.team.load(employee.teamId);
    return team ? TeamType.from(team) : null;
  }

  @FieldResolver(() => LoginAuthenticatorType, { nullable: true, description: 'How the employee signs in.' })
  async loginAuthenticator(
    @Root() employee: EmployeeType,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<LoginAuthenticatorType | null> {
    if (!employee.loginAuthenticatorId) return null;
    const authenticator = await loaders.loginAuthenticator.load(employee.loginAuthenticatorId);
    return authenticator ? LoginAuthenticatorType.from(authenticator) : null;
  }
}
