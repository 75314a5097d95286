import { Field, ObjectType } from 'type-graphql';
import { EmployeeTemplate, LoginAuthenticator, Role, Team } from '../../entities';
import { toGlobalId } from '../global-id';
import { NodeType } from './node.type';

@ObjectType('Role', { implements: NodeType, description: 'A role an employee can hold, e.g. Agent or Supervisor.' })
export class RoleType extends NodeType {
  @Field({ description: 'The role name, unique in the tenant (case-insensitively).' })
  name: string;

  @Field(() => String, { nullable: true, description: 'What the role is for.' })
  description: string | null;

  static from(role: Pick<Role, 'id' | 'name' | 'description'>): RoleType {
    return Object.assign(new RoleType(), { id: toGlobalId('Role', role.id), name: role.name, description: role.description });
  }
}

@ObjectType('Team', { implements: NodeType, description: 'A team of employees.' })
export class TeamType extends NodeType {
  @Field({ description: 'The team name, unique in the tenant (case-insensitively).' })
  name: string;

  @Field(() => String, { nullable: true, description: 'What the team does.' })
  description: string | null;

  static from(team: Pick<Team, 'id' | 'name' | 'description'>): TeamType {
    return Object.assign(new TeamType(), { id: toGlobalId('Team', team.id), name: team.name, description: team.description });
  }
}

@ObjectType('LoginAuthenticator', {
  implements: NodeType,
  description: 'How an employee signs in to the contact-center desktop.',
})
export class LoginAuthenticatorType extends NodeType {
  @Field({ description: 'The authenticator name, unique in the tenant (case-insensitively).' })
  name: string;

  @Field({ description: 'Whether new employees get this authenticator when none is given.' })
  isDefault: boolean;

  static from(a: Pick<LoginAuthenticator, 'id' | 'name' | 'isDefault'>): LoginAuthenticatorType {
    return Object.assign(new LoginAuthenticatorType(), {
      id: toGlobalId('LoginAuthenticator', a.id),
      name: a.name,
      isDefault: a.isDefault,
    });
  }
}

@ObjectType('EmployeeTemplate', {
  implements: NodeType,
  description:
    'Presets for new employees. An identity provider names a template when it creates an employee (Rollcall SCIM ' +
    'extension `employeeTemplate`), and the employee starts with the preset role, team, time zone, type and login ' +
    'authenticator; values the identity provider sends explicitly take precedence.',
})
export class EmployeeTemplateType extends NodeType {
  @Field({ description: 'The template name, unique in the tenant (case-insensitively); identity providers send it.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'Preset IANA time zone, e.g. Europe/Paris; null when none.' })
  timeZone: string | null;

  @Field(() => String, { nullable: true, description: 'Preset employee type, e.g. Contractor; null when none.' })
  type: string | null;

  /** Raw ids for the relation resolvers; not exposed. */
  primaryRoleId: string | null;
  teamId: string | null;
  loginAuthenticatorId: string | null;

  static from(t: EmployeeTemplate): EmployeeTemplateType {
    return Object.assign(new EmployeeTemplateType(), {
      id: toGlobalId('EmployeeTemplate', t.id),
      name: t.name,
      timeZone: t.timeZone,
      type: t.type,
      primaryRoleId: t.primaryRoleId,
      teamId: t.teamId,
      loginAuthenticatorId: t.loginAuthenticatorId,
    });
  }
}
