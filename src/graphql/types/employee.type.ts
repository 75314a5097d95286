import { Field, ObjectType } from 'type-graphql';
import { Employee, LoginAuthenticator, Role, Team } from '../../entities';
import { ManagedBy } from '../../entities/enums';
import type { EmployeeReferences } from '../../services/employee.service';
import { lockedFields } from '../../services/ownership';
import { toE164 } from '../../services/validation';
import { LoginAuthenticatorType, RoleType, TeamType } from './catalog.type';
import type { GraphQLContext } from '../context';
import { toGlobalId } from '../global-id';
import { EmployeeFieldEnum, EmployeeStatusEnum, ManagedByEnum, toEmployeeFieldEnum } from './enums';
import { NodeType } from './node.type';

/** The GraphQL names of the fields locked for each kind of owner, computed once (every employee of a page has them). */
const LOCKED_FIELD_ENUMS = new Map<ManagedBy, readonly string[]>();
function lockedFieldEnums(managedBy: ManagedBy): string[] {
  let names = LOCKED_FIELD_ENUMS.get(managedBy);
  if (!names) {
    names = Object.freeze(lockedFields(managedBy).map(toEmployeeFieldEnum));
    LOCKED_FIELD_ENUMS.set(managedBy, names);
  }
  return names as string[];
}

/** Reference objects built for one page, by id (see EmployeeType.from). */
export interface SharedReferences {
  roles: Map<string, RoleType>;
  teams: Map<string, TeamType>;
  authenticators: Map<string, LoginAuthenticatorType>;
}

export function sharedReferences(): SharedReferences {
  return { roles: new Map(), teams: new Map(), authenticators: new Map() };
}

function once<T>(built: Map<string, T> | undefined, id: string, build: () => T): T {
  if (!built) return build();
  let value = built.get(id);
  if (value === undefined) built.set(id, (value = build()));
  return value;
}

/**
 * A reference field's value: the object (or null) when the employee was read with it, else a method that loads it.
 * These fields are `simple` (graphql-js's default resolver, which calls a function-valued property as a method with
 * the field's arguments and the request's context) rather than type-graphql field resolvers: type-graphql wraps each
 * call of those in its own resolver, which builds and sorts the parameter list anew. On a page of 100 employees with
 * role and team, those 200 calls were a fifth of the page's memory allocations (docs/benchmarks.md).
 */
export type Reference<T> = T | null | ((this: EmployeeType, args: unknown, context: GraphQLContext) => Promise<T | null>);

/** The loader path, for an employee whose reference was not read with it (a single employee, a mutation's answer). */
function loadPrimaryRole(this: EmployeeType, _args: unknown, { loaders }: GraphQLContext): Promise<RoleType | null> {
  return loaders.role.load(this.primaryRoleId!).then((role: Role | null) => (role ? RoleType.from(role) : null));
}
function loadTeam(this: EmployeeType, _args: unknown, { loaders }: GraphQLContext): Promise<TeamType | null> {
  return loaders.team.load(this.teamId!).then((team: Team | null) => (team ? TeamType.from(team) : null));
}
function loadLoginAuthenticator(this: EmployeeType, _args: unknown, { loaders }: GraphQLContext): Promise<LoginAuthenticatorType | null> {
  return loaders.loginAuthenticator
    .load(this.loginAuthenticatorId!)
    .then((a: LoginAuthenticator | null) => (a ? LoginAuthenticatorType.from(a) : null));
}

/** Derived when asked for: the tenant's region may change, and a number stored as sent stays as sent. */
function mobileNumberE164(this: EmployeeType, _args: unknown, { loaders }: GraphQLContext): Promise<string | null> {
  return loaders.phoneRegion().then((region) => toE164(this.mobileNumber, region));
}

/** A reference field's value: what the page read (built once per page), else the loader when there is an id. */
function reference<R extends { id: string }, T>(
  read: R | null | undefined,
  id: string | null,
  shared: Map<string, T> | undefined,
  build: (row: R) => T,
  load: Reference<T>,
): Reference<T> {
  if (read !== undefined) return read && once(shared, read.id, () => build(read));
  return id ? load : null;
}

@ObjectType('Employee', { implements: NodeType, description: 'A person in the directory.' })
export class EmployeeType extends NodeType {
  @Field({
    description:
      "Sign-in name, unique in the tenant (case-insensitively): an email address, or any text when the tenant's " +
      'usernameFormat is ANY.',
  })
  username: string;

  @Field({ description: 'Given name.' })
  firstName: string;

  @Field({ description: 'Family name.' })
  lastName: string;

  @Field({ description: 'Work email address.' })
  email: string;

  @Field(() => String, { nullable: true, description: 'Name to show, when it differs from first and last name.' })
  displayName: string | null;

  @Field(() => String, { nullable: true, description: 'Middle name.' })
  middleName: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Mobile number as the identity provider sent it or an admin typed it, e.g. 312-320-1707 or +1 312 320 1707.',
  })
  mobileNumber: string | null;

  @Field(() => String, {
    nullable: true,
    simple: true,
    description:
      "The mobile number in E.164 form (e.g. +13123201707), read with the tenant's default phone region for national " +
      'numbers; null when it cannot be derived (no number, or a national number and no default region).',
  })
  mobileNumberE164: string | null | ((this: EmployeeType, args: unknown, context: GraphQLContext) => Promise<string | null>);

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris.' })
  timeZone: string | null;

  @Field(() => String, { nullable: true, description: 'Employee type, e.g. Employee or Contractor.' })
  type: string | null;

  @Field(() => EmployeeStatusEnum, { description: 'Whether the employee is active.' })
  status: EmployeeStatusEnum;

  @Field(() => ManagedByEnum, { description: 'Who owns the record: the identity provider or Rollcall.' })
  managedBy: ManagedByEnum;

  @Field(() => [EmployeeFieldEnum], {
    description:
      'Fields that only the identity provider may change for this employee (empty for LOCAL employees). ' +
      'Mutations that change them are refused with IDP_MANAGED_FIELD.',
  })
  lockedFields: string[];

  @Field(() => String, { nullable: true, description: "The identity provider's own id for this person, if any." })
  externalId: string | null;

  @Field({ description: 'When the employee was created.' })
  createdAt: Date;

  @Field({ description: 'When the employee last changed.' })
  updatedAt: Date;

  @Field(() => RoleType, { nullable: true, simple: true, description: 'The primary role.' })
  primaryRole: Reference<RoleType>;

  @Field(() => TeamType, { nullable: true, simple: true, description: 'The team.' })
  team: Reference<TeamType>;

  @Field(() => LoginAuthenticatorType, { nullable: true, simple: true, description: 'How the employee signs in.' })
  loginAuthenticator: Reference<LoginAuthenticatorType>;

  /** Raw ids of the references; not exposed. */
  primaryRoleId: string | null;
  teamId: string | null;
  loginAuthenticatorId: string | null;
  /** Database uuid, for cursors and loaders; not exposed. */
  uuid: string;

  /**
   * @param references the role, team and authenticator read with the employee (a page; see EmployeeResolver); a
   * reference it does not have (undefined) is loaded when a query selects it.
   * @param shared the reference objects already built for this page, by id: the rows of a page share a few roles and
   * teams, so each is built (and its global id encoded) once per page instead of once per row.
   */
  static from(e: Employee, references?: EmployeeReferences, shared?: SharedReferences): EmployeeType {
    const type = new EmployeeType();
    type.id = toGlobalId('Employee', e.id);
    type.uuid = e.id;
    type.username = e.username;
    type.firstName = e.firstName;
    type.lastName = e.lastName;
    type.email = e.email;
    type.displayName = e.displayName;
    type.middleName = e.middleName;
    type.mobileNumber = e.mobileNumber;
    type.mobileNumberE164 = e.mobileNumber ? mobileNumberE164 : null;
    type.timeZone = e.timeZone;
    type.type = e.type;
    type.status = e.status as EmployeeStatusEnum;
    type.managedBy = e.managedBy as ManagedByEnum;
    type.lockedFields = lockedFieldEnums(e.managedBy);
    type.externalId = e.externalId;
    type.createdAt = e.createdAt;
    type.updatedAt = e.updatedAt;
    type.primaryRoleId = e.primaryRoleId;
    type.teamId = e.teamId;
    type.loginAuthenticatorId = e.loginAuthenticatorId;
    type.primaryRole = reference(references?.primaryRole, e.primaryRoleId, shared?.roles, RoleType.from, loadPrimaryRole);
    type.team = reference(references?.team, e.teamId, shared?.teams, TeamType.from, loadTeam);
    type.loginAuthenticator = reference(
      references?.loginAuthenticator,
      e.loginAuthenticatorId,
      shared?.authenticators,
      LoginAuthenticatorType.from,
      loadLoginAuthenticator,
    );
    return type;
  }
}
