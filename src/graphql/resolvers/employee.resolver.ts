import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  ID,
  Info,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  registerEnumType,
} from 'type-graphql';
import { GraphQLResolveInfo } from 'graphql';
import type { Employee } from '../../entities';
import { EmployeeStatus, ManagedBy } from '../../entities/enums';
import { EmployeeOrderField, NAME_ORDERS, SearchOrderField, isNameOrder } from '../../services/employee-query';
import { EmployeeChanges, EmployeeReference, NewEmployee, REQUIRED_EMPLOYEE_FIELDS, employeeService } from '../../services/employee.service';
import { DomainError, ErrorCode, ErrorIssue } from '../../services/errors';
import { EMPLOYEE_REFERENCES } from '../../services/references';
import { hasControlCharacters } from '../../services/validation';
import { GraphQLContext } from '../context';
import { badUserInput } from '../errors';
import { idOfType } from '../global-id';
import { CURSOR_PART, ConnectionKit, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, defineConnection, nodeFields, selects } from '../pagination';
import { ObjectPayload, Payload, PayloadOf, payload } from '../payloads';
import { Connection } from '../types/connection.type';
import { EmployeeType, sharedReferences } from '../types/employee.type';
import { EmployeeStatusEnum, ManagedByEnum } from '../types/enums';
import { OrderDirection } from '../types/order.type';

@ObjectType('EmployeeConnection', { description: 'A page of employees.' })
export class EmployeeConnection extends Connection(EmployeeType, 'Employee') {}

registerEnumType(EmployeeOrderField, {
  name: 'EmployeeOrderField',
  description: 'What employees can be ordered by.',
  valuesConfig: {
    NAME: {
      description:
        "By last name, then first name, in the ICU collation of the tenant's locale (TenantSettings.locale): " +
        '"José Álvarez" before "Tim Zone".',
    },
    USERNAME: { description: 'By username.' },
    FIRST_NAME: { description: "By first name, then last name, in the ICU collation of the tenant's locale." },
    LAST_NAME: { description: 'The same order as NAME: by last name, then first name, collated.' },
    EMAIL: { description: 'By email address.' },
    CREATED_AT: { description: 'By creation time.' },
    UPDATED_AT: { description: 'By time of the last change.' },
  },
});

const byText = defineConnection(CURSOR_PART.text, CURSOR_PART.uuid);
const byTime = defineConnection(CURSOR_PART.time('milliseconds'), CURSOR_PART.uuid);
const byName = defineConnection(CURSOR_PART.text, CURSOR_PART.text, CURSOR_PART.uuid);

/**
 * Cursors of `employees`, by order: `[...sort values, id]`, the sort values as `employeeService.searchSortValues`
 * gives them (a timestamp from the entity's Date, so in milliseconds: employee-query.ts compares them so; a name
 * order's two names).
 */
const EMPLOYEE_CURSORS: Record<EmployeeOrderField, ConnectionKit<string[]>> = {
  name: byName,
  username: byText,
  firstName: byName,
  lastName: byName,
  email: byText,
  createdAt: byTime,
  updatedAt: byTime,
};

@InputType('EmployeeOrder', { description: 'Ordering of an employee connection. Ties are broken by id.' })
class EmployeeOrder {
  @Field(() => EmployeeOrderField, { description: 'The field to order by.' })
  field: EmployeeOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: 'The direction.' })
  direction: OrderDirection;
}

@InputType('EmployeeFilter', { description: 'Exact conditions an employee must meet; all given conditions apply.' })
class EmployeeFilter {
  @Field(() => EmployeeStatusEnum, { nullable: true, description: 'Only employees with this status.' })
  status?: EmployeeStatusEnum | null;

  @Field(() => ManagedByEnum, { nullable: true, description: 'Only IdP-managed or only LOCAL employees.' })
  managedBy?: ManagedByEnum | null;

  @Field(() => [ID], { nullable: true, description: 'Only employees whose primary role is one of these (global ids).' })
  primaryRoleIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only employees in one of these teams (global ids).' })
  teamIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Only employees of this type (exact match).' })
  type?: string | null;
}

@ArgsType()
class EmployeesArgs {
  @Field(() => String, {
    nullable: true,
    description: 'Substring to find in first, last, middle or display name, username or email, ignoring case and accents ("jose alvarez" finds "José Álvarez-Núñez").',
  })
  search?: string | null;

  @Field(() => EmployeeFilter, { nullable: true, description: 'Exact conditions.' })
  filter?: EmployeeFilter | null;

  @Field(() => EmployeeOrder, { nullable: true, description: 'Ordering; by default USERNAME ascending.' })
  orderBy?: EmployeeOrder | null;

  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many employees to return (1 to ${MAX_PAGE_SIZE}).` })
  first: number;

  @Field(() => String, { nullable: true, description: 'Return employees after this cursor (a previous `endCursor`).' })
  after?: string | null;
}

@InputType('CreateEmployeeInput', {
  description: 'A new employee managed in Rollcall (LOCAL). Without primaryRoleId the tenant\'s default role applies.',
})
class CreateEmployeeInput {
  @Field({ description: "Sign-in name, unique in the tenant (case-insensitively): an email address unless the tenant's usernameFormat is ANY." })
  username: string;

  @Field({ description: 'Given name.' })
  firstName: string;

  @Field({ description: 'Family name.' })
  lastName: string;

  @Field({ description: 'Work email address.' })
  email: string;

  @Field(() => EmployeeStatusEnum, { nullable: true, description: 'Initial status; ACTIVE by default.' })
  status?: EmployeeStatusEnum | null;

  @Field(() => String, { nullable: true, description: 'Display name.' })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'Middle name.' })
  middleName?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Mobile number as typed, e.g. +1 312 320 1707, or 312-320-1707 when the tenant has a default phone region.",
  })
  mobileNumber?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris.' })
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'Employee type, e.g. Employee or Contractor.' })
  type?: string | null;

  @Field(() => ID, { nullable: true, description: "Global id of the primary role; the tenant's default role if omitted." })
  primaryRoleId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the team.' })
  teamId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the login authenticator; the default one if omitted.' })
  loginAuthenticatorId?: string | null;
}

@InputType('UpdateEmployeeInput', {
  description:
    'Changes to an employee. Omitted fields stay as they are; null clears an optional field. For IdP-managed ' +
    'employees username, firstName, lastName, email and status are refused with IDP_MANAGED_FIELD.',
})
class UpdateEmployeeInput {
  @Field(() => ID, { description: 'Global id of the employee.' })
  id: string;

  @Field(() => String, { nullable: true, description: "New username (an email address unless the tenant's usernameFormat is ANY)." })
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

  @Field(() => String, {
    nullable: true,
    description:
      'New mobile number as typed (kept so); it must be a possible number with its +country code, or in the ' +
      "tenant's default phone region. null clears it.",
  })
  mobileNumber?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'New IANA time zone, e.g. America/New_York (any case; stored in canonical spelling; abbreviations such as PST are refused); null clears it.',
  })
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

@InputType('SetEmployeeStatusInput', { description: 'Activate or deactivate a LOCAL employee.' })
class SetEmployeeStatusInput {
  @Field(() => ID, { description: 'Global id of the employee.' })
  id: string;

  @Field(() => EmployeeStatusEnum, { description: 'The new status.' })
  status: EmployeeStatusEnum;
}

@PayloadOf('createEmployee')
class CreateEmployeePayload extends ObjectPayload(EmployeeType, 'employee', {
  result: 'The new employee; null when refused.',
  userErrors: 'Why the employee was not created; empty on success.',
}) {}

@PayloadOf('updateEmployee')
class UpdateEmployeePayload extends ObjectPayload(EmployeeType, 'employee') {}

@PayloadOf('setEmployeeStatus')
class SetEmployeeStatusPayload extends ObjectPayload(EmployeeType, 'employee', {
  userErrors: 'Why the change was refused; empty on success.',
}) {}

const REFERENCES = [
  { field: 'primaryRoleId', type: 'Role' },
  { field: 'teamId', type: 'Team' },
  { field: 'loginAuthenticatorId', type: 'LoginAuthenticator' },
] as const;

type EmployeeInput = Partial<Omit<UpdateEmployeeInput, 'id'>>;

/**
 * Turns GraphQL input into domain changes: global ids to uuids, GraphQL null to "clear" (optional fields) or a
 * REQUIRED issue (fields an employee must have). Issues are returned, so they can join the service's own.
 */
function toChanges(input: EmployeeInput): { changes: EmployeeChanges; issues: ErrorIssue[] } {
  const changes: EmployeeChanges = {};
  const issues: ErrorIssue[] = [];
  for (const field of REQUIRED_EMPLOYEE_FIELDS) {
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
  return { changes, issues };
}

/** Runs the service call, merging input issues found here with the service's, so all come back at once. */
async function withInputIssues(issues: ErrorIssue[], check: () => Promise<void>): Promise<never> {
  try {
    await check();
  } catch (error) {
    if (error instanceof DomainError) throw new DomainError([...issues, ...error.issues]);
    throw error;
  }
  throw new DomainError(issues);
}

function employeeId(globalId: string): string {
  const uuid = idOfType(globalId, 'Employee');
  if (!uuid) throw new DomainError(ErrorCode.NOT_FOUND, `No employee with id "${globalId}" exists.`, 'id');
  return uuid;
}

function ids(globalIds: string[] | null | undefined, type: string, argument: string): string[] | undefined {
  if (!globalIds) return undefined;
  return globalIds.map((g) => {
    const id = idOfType(g, type);
    if (!id) throw badUserInput(`${argument}: "${g}" is not the id of a ${type}.`);
    return id;
  });
}

/** Employee fields whose values `employees` can read with the page (EmployeeReferences). */
const REFERENCE_FIELDS = Object.keys(EMPLOYEE_REFERENCES) as EmployeeReference[];

/**
 * The Employee properties each GraphQL field of an employee needs. `employees` reads only those of the fields its
 * nodes select: decoding and mapping all 25 columns of 100 rows was a fifth of a page's server CPU. A field not listed
 * here (a new one, or a fragment) makes it read every column, so forgetting an entry costs speed, never a wrong answer.
 */
const FIELD_PROPERTIES: Record<string, readonly (keyof Employee)[]> = {
  __typename: [],
  id: ['id'],
  username: ['username'],
  firstName: ['firstName'],
  lastName: ['lastName'],
  email: ['email'],
  displayName: ['displayName'],
  middleName: ['middleName'],
  mobileNumber: ['mobileNumber'],
  mobileNumberE164: ['mobileNumber'],
  timeZone: ['timeZone'],
  type: ['type'],
  status: ['status'],
  managedBy: ['managedBy'],
  lockedFields: ['managedBy'],
  externalId: ['externalId'],
  createdAt: ['createdAt'],
  updatedAt: ['updatedAt'],
  primaryRole: ['primaryRoleId'],
  team: ['teamId'],
  loginAuthenticator: ['loginAuthenticatorId'],
  groups: ['id'],
};

/** The properties a page must read for `fields` and its cursors (sorted by `sort`); undefined: every column. */
function propertiesFor(fields: Set<string> | undefined, sort: SearchOrderField): (keyof Employee)[] | undefined {
  if (!fields) return undefined;
  // A page by username is ordered, and its cursors keyed, by the username's canonical key.
  const properties = new Set<keyof Employee>(
    isNameOrder(sort) ? ['id', ...NAME_ORDERS[sort].map((c): keyof Employee => (c === 'last_name' ? 'lastName' : 'firstName'))] : ['id', sort === 'username' ? 'usernameKey' : sort],
  );
  for (const field of fields) {
    const needed = FIELD_PROPERTIES[field];
    if (!needed) return undefined;
    for (const property of needed) properties.add(property);
  }
  return [...properties];
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

  @Query(() => EmployeeConnection, { description: 'Employees of your tenant: search, filter, order and page.' })
  async employees(
    @Args() args: EmployeesArgs,
    @Ctx() { ctx }: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<EmployeeConnection> {
    const field = args.orderBy?.field ?? EmployeeOrderField.USERNAME;
    const kit = EMPLOYEE_CURSORS[field];
    const request = kit.page(args);
    if (args.search && (args.search.length > 200 || hasControlCharacters(args.search))) {
      throw badUserInput('`search` must be at most 200 characters without control characters.');
    }
    if (args.filter?.type && (args.filter.type.length > 200 || hasControlCharacters(args.filter.type))) {
      throw badUserInput('`filter.type` must be at most 200 characters without control characters.');
    }
    const sort: SearchOrderField = field;
    const descending = args.orderBy?.direction === OrderDirection.DESC;
    const filter = args.filter ?? {};
    const fields = nodeFields(info);
    const page = await employeeService.search(ctx, {
      search: args.search,
      filter: {
        status: filter.status as EmployeeStatus | null | undefined,
        managedBy: filter.managedBy as ManagedBy | null | undefined,
        type: filter.type,
        primaryRoleIds: ids(filter.primaryRoleIds, 'Role', 'filter.primaryRoleIds'),
        teamIds: ids(filter.teamIds, 'Team', 'filter.teamIds'),
      },
      orderBy: { field: sort, descending },
      first: request.first,
      after: request.after ? { values: request.after.slice(0, -1), id: request.after[request.after.length - 1] } : null,
      withTotal: selects(info, 'totalCount'),
      withReferences: REFERENCE_FIELDS.filter((f) => !fields || fields.has(f)),
      properties: propertiesFor(fields, sort),
    });
    const shared = sharedReferences();
    const nodes = page.employees.map((employee, i) => EmployeeType.from(employee, page.references?.[i], shared));
    const keyOf = (node: EmployeeType, i: number): string[] => [...employeeService.searchSortValues(page.employees[i], sort), node.uuid];
    return kit.connection(EmployeeConnection, request, nodes, page, keyOf);
  }

  @Authorized('admin')
  @Mutation(() => CreateEmployeePayload, {
    description: 'Creates an employee managed in Rollcall (LOCAL: every field stays editable here).',
  })
  async createEmployee(
    @Arg('input', () => CreateEmployeeInput, { description: 'The new employee.' }) input: CreateEmployeeInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<EmployeeType>> {
    const work = async () => {
      const { changes, issues } = toChanges(input);
      if (issues.length > 0) throw new DomainError(issues);
      return employeeService.createLocal(ctx, changes as NewEmployee);
    };
    return payload(CreateEmployeePayload, work, (employee) => EmployeeType.from(employee));
  }

  @Authorized('admin')
  @Mutation(() => UpdateEmployeePayload, {
    description: 'Changes an employee. All changes apply together or, when any userError is returned, none do.',
  })
  async updateEmployee(
    @Arg('input', () => UpdateEmployeeInput, { description: 'The employee and the changes.' }) input: UpdateEmployeeInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<EmployeeType>> {
    const work = async () => {
      const id = employeeId(input.id);
      const { changes, issues } = toChanges(input);
      if (issues.length > 0) {
        // Let the service report its own findings too (ownership, formats), without writing anything.
        const valid = Object.fromEntries(Object.entries(changes).filter(([k]) => !issues.some((i) => i.field === k)));
        return withInputIssues(issues, () => employeeService.checkUpdate(ctx, id, valid));
      }
      return employeeService.update(ctx, id, changes);
    };
    return payload(UpdateEmployeePayload, work, (employee) => EmployeeType.from(employee));
  }

  @Authorized('admin')
  @Mutation(() => SetEmployeeStatusPayload, {
    description:
      'Activates or deactivates a LOCAL employee. The status of an IdP-managed employee changes only in the identity ' +
      'provider (IDP_MANAGED_FIELD).',
  })
  async setEmployeeStatus(
    @Arg('input', () => SetEmployeeStatusInput, { description: 'The employee and its new status.' }) input: SetEmployeeStatusInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<EmployeeType>> {
    return payload(
      SetEmployeeStatusPayload,
      () => employeeService.setStatus(ctx, employeeId(input.id), input.status as EmployeeStatus),
      (employee) => EmployeeType.from(employee),
    );
  }
}
