import { ArgsType, ClassType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination';
import { OrderDirection } from './order.type';

/** The sort fields every catalog connection offers (each type registers its own enum, e.g. `RoleOrderField`). */
export type CatalogOrderField = 'NAME' | 'CREATED_AT';

export interface CatalogOrder {
  field: CatalogOrderField;
  direction: OrderDirection;
}

export const DEFAULT_CATALOG_ORDER: CatalogOrder = { field: 'NAME', direction: OrderDirection.ASC };

function OrderInput(type: string, plural: string): ClassType<CatalogOrder> {
  const fields = { NAME: 'NAME', CREATED_AT: 'CREATED_AT' } as const satisfies Record<CatalogOrderField, CatalogOrderField>;
  registerEnumType(fields, {
    name: `${type}OrderField`,
    description: `What ${plural} can be sorted by.`,
    valuesConfig: {
      NAME: { description: 'By name, case-insensitively.' },
      CREATED_AT: { description: 'By creation time.' },
    },
  });

  @InputType(`${type}Order`, { description: `An order of ${plural}; rows that tie are ordered by id.` })
  class Order implements CatalogOrder {
    @Field(() => fields, { description: 'The field to sort by.' })
    field: CatalogOrderField;

    @Field(() => OrderDirection, { description: 'The direction to sort in.' })
    direction: OrderDirection;
  }
  return Order;
}

export interface CatalogListArgs {
  first: number;
  after?: string | null;
  orderBy?: CatalogOrder | null;
}

function ListArgs(order: ClassType<CatalogOrder>, plural: string): ClassType<CatalogListArgs> {
  @ArgsType()
  class Args implements CatalogListArgs {
    @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many ${plural} to return (1 to ${MAX_PAGE_SIZE}).` })
    first: number;

    @Field(() => String, { nullable: true, description: `Return ${plural} after this cursor (a previous \`endCursor\`).` })
    after?: string | null;

    @Field(() => order, {
      nullable: true,
      defaultValue: DEFAULT_CATALOG_ORDER,
      description: `How to order the ${plural}; a cursor only continues the order it came from.`,
    })
    orderBy?: CatalogOrder | null;
  }
  return Args;
}

export const RoleListArgs = ListArgs(OrderInput('Role', 'roles'), 'roles');
export const TeamListArgs = ListArgs(OrderInput('Team', 'teams'), 'teams');
export const LoginAuthenticatorListArgs = ListArgs(OrderInput('LoginAuthenticator', 'login authenticators'), 'login authenticators');
export const EmployeeTemplateListArgs = ListArgs(OrderInput('EmployeeTemplate', 'employee templates'), 'employee templates');

@InputType('CreateRoleInput', { description: 'A new role.' })
export class CreateRoleInput {
  @Field({ description: 'Name, 1 to 100 characters, unique in the tenant (case-insensitively); trimmed.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'What the role is for (up to 1000 characters).' })
  description?: string | null;
}

@InputType('UpdateRoleInput', { description: 'Changes to a role. Omitted fields stay as they are.' })
export class UpdateRoleInput {
  @Field(() => ID, { description: 'Global id of the role.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the tenant (case-insensitively).' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description; null or blank clears it.' })
  description?: string | null;
}

@InputType('DeleteRoleInput', { description: 'The role to delete.' })
export class DeleteRoleInput {
  @Field(() => ID, { description: 'Global id of the role. Roles in use and the default role cannot be deleted.' })
  id: string;
}

@InputType('CreateTeamInput', { description: 'A new team.' })
export class CreateTeamInput {
  @Field({ description: 'Name, 1 to 100 characters, unique in the tenant (case-insensitively); trimmed.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'What the team does (up to 1000 characters).' })
  description?: string | null;
}

@InputType('UpdateTeamInput', { description: 'Changes to a team. Omitted fields stay as they are.' })
export class UpdateTeamInput {
  @Field(() => ID, { description: 'Global id of the team.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the tenant (case-insensitively).' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description; null or blank clears it.' })
  description?: string | null;
}

@InputType('DeleteTeamInput', { description: 'The team to delete.' })
export class DeleteTeamInput {
  @Field(() => ID, { description: 'Global id of the team. Teams in use cannot be deleted.' })
  id: string;
}

@InputType('CreateLoginAuthenticatorInput', { description: 'A new login authenticator.' })
export class CreateLoginAuthenticatorInput {
  @Field({ description: 'Name, 1 to 100 characters, unique in the tenant (case-insensitively); trimmed.' })
  name: string;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Make it the default for new employees (the previous default stops being one). Default false.',
  })
  isDefault?: boolean | null;
}

@InputType('UpdateLoginAuthenticatorInput', { description: 'Changes to a login authenticator. Omitted fields stay as they are.' })
export class UpdateLoginAuthenticatorInput {
  @Field(() => ID, { description: 'Global id of the login authenticator.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the tenant (case-insensitively).' })
  name?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'true makes it the default (the previous default stops being one). false on the default is refused: make ' +
      'another authenticator the default instead.',
  })
  isDefault?: boolean | null;
}

@InputType('DeleteLoginAuthenticatorInput', { description: 'The login authenticator to delete.' })
export class DeleteLoginAuthenticatorInput {
  @Field(() => ID, {
    description: 'Global id of the login authenticator. Authenticators in use and the default cannot be deleted.',
  })
  id: string;
}

@InputType('CreateEmployeeTemplateInput', { description: 'A new employee template; every preset is optional.' })
export class CreateEmployeeTemplateInput {
  @Field({ description: 'Name, 1 to 100 characters, unique in the tenant (case-insensitively); trimmed.' })
  name: string;

  @Field(() => ID, { nullable: true, description: 'Global id of the preset primary role.' })
  primaryRoleId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the preset team.' })
  teamId?: string | null;

  @Field(() => String, { nullable: true, description: 'Preset IANA time zone, e.g. America/New_York.' })
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'Preset employee type, e.g. Contractor.' })
  type?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the preset login authenticator.' })
  loginAuthenticatorId?: string | null;
}

@InputType('UpdateEmployeeTemplateInput', {
  description: 'Changes to an employee template. Omitted fields stay as they are; null clears a preset.',
})
export class UpdateEmployeeTemplateInput {
  @Field(() => ID, { description: 'Global id of the employee template.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the tenant (case-insensitively).' })
  name?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the new preset primary role; null clears it.' })
  primaryRoleId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the new preset team; null clears it.' })
  teamId?: string | null;

  @Field(() => String, { nullable: true, description: 'New preset IANA time zone; null clears it.' })
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'New preset employee type; null clears it.' })
  type?: string | null;

  @Field(() => ID, { nullable: true, description: 'Global id of the new preset login authenticator; null clears it.' })
  loginAuthenticatorId?: string | null;
}

@InputType('DeleteEmployeeTemplateInput', { description: 'The employee template to delete.' })
export class DeleteEmployeeTemplateInput {
  @Field(() => ID, { description: 'Global id of the employee template.' })
  id: string;
}
