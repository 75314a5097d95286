import { Field, ObjectType } from 'type-graphql';
import { Employee } from '../../entities';
import { ManagedBy } from '../../entities/enums';
import type { EmployeeReferences } from '../../services/employee.service';
import { lockedFields } from '../../services/ownership';
import { LoginAuthenticatorType, RoleType, TeamType } from './catalog.type';
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

@ObjectType('Employee', { implements: NodeType, description: 'A person in the directory.' })
export class EmployeeType extends NodeType {
  @Field({ description: 'Sign-in name: an email address, unique in the tenant (case-insensitively).' })
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

  @Field(() => String, { nullable: true, description: 'Mobile number in E.164 form, e.g. +14155550100.' })
  mobileNumber: string | null;

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

  /** Raw ids for the relation resolvers; not exposed. */
  primaryRoleId: string | null;
  teamId: string | null;
  loginAuthenticatorId: string | null;
  /** Database uuid, for cursors and loaders; not exposed. */
  uuid: string;
  /** The role, team and authenticator when the page read them with the employees (see EmployeeResolver); not exposed. */
  references?: {
    primaryRole?: RoleType | null;
    team?: TeamType | null;
    loginAuthenticator?: LoginAuthenticatorType | null;
  };

  /**
   * @param shared the reference objects already built for this page, by id: the rows of a page share a few roles and
   * teams, so each is built (and its global id encoded) once per page instead of once per row.
   */
  static from(e: Employee, references?: EmployeeReferences, shared?: SharedReferences): EmployeeType {
    const type = Object.assign(new EmployeeType(), {
      id: toGlobalId('Employee', e.id),
      uuid: e.id,
      username: e.username,
      firstName: e.firstName,
      lastName: e.lastName,
      email: e.email,
      displayName: e.displayName,
      middleName: e.middleName,
      mobileNumber: e.mobileNumber,
      timeZone: e.timeZone,
      type: e.type,
      status: e.status as EmployeeStatusEnum,
      managedBy: e.managedBy as ManagedByEnum,
      lockedFields: lockedFieldEnums(e.managedBy),
      externalId: e.externalId,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      primaryRoleId: e.primaryRoleId,
      teamId: e.teamId,
      loginAuthenticatorId: e.loginAuthenticatorId,
    });
    if (references) {
      const { primaryRole, team, loginAuthenticator } = references;
      type.references = {
        primaryRole: primaryRole && once(shared?.roles, primaryRole.id, () => RoleType.from(primaryRole)),
        team: team && once(shared?.teams, team.id, () => TeamType.from(team)),
        loginAuthenticator: loginAuthenticator && once(shared?.authenticators, loginAuthenticator.id, () => LoginAuthenticatorType.from(loginAuthenticator)),
      };
    }
    return type;
  }
}
