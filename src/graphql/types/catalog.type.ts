import { Field, ObjectType } from 'type-graphql';
import { LoginAuthenticator, Role, Team } from '../../entities';
import { toGlobalId } from '../global-id';
import { NodeType } from './node.type';

@ObjectType('Role', { implements: NodeType, description: 'A role an employee can hold, e.g. Agent or Supervisor.' })
export class RoleType extends NodeType {
  @Field({ description: 'The role name, unique in the tenant (case-insensitively).' })
  name: string;

  @Field(() => String, { nullable: true, description: 'What the role is for.' })
  description: string | null;

  static from(role: Role): RoleType {
    return Object.assign(new RoleType(), { id: toGlobalId('Role', role.id), name: role.name, description: role.description });
  }
}

@ObjectType('Team', { implements: NodeType, description: 'A team of employees.' })
export class TeamType extends NodeType {
  @Field({ description: 'The team name, unique in the tenant (case-insensitively).' })
  name: string;

  @Field(() => String, { nullable: true, description: 'What the team does.' })
  description: string | null;

  static from(team: Team): TeamType {
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

  static from(a: LoginAuthenticator): LoginAuthenticatorType {
    return Object.assign(new LoginAuthenticatorType(), {
      id: toGlobalId('LoginAuthenticator', a.id),
      name: a.name,
      isDefault: a.isDefault,
    });
  }
}
