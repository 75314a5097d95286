import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Employee, Group } from '../../entities';
import { groupService } from '../../services/group.service';
import { hasControlCharacters } from '../../services/validation';
import { GraphQLContext } from '../context';
import { badUserInput } from '../errors';
import { idOfType } from '../global-id';
import { CURSOR_PART, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, defineConnection } from '../pagination';
import { Connection } from '../types/connection.type';
import { EmployeeType } from '../types/employee.type';
import { GroupType } from '../types/group.type';
import { EmployeeConnection } from './employee.resolver';

@ObjectType('GroupConnection', { description: 'A page of groups.' })
export class GroupConnection extends Connection(GroupType, 'Group') {}

@ArgsType()
class GroupsArgs {
  @Field(() => String, { nullable: true, description: 'Substring of the group name (case-insensitive).' })
  search?: string | null;

  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many groups to return (1 to ${MAX_PAGE_SIZE}).` })
  first: number;

  @Field(() => String, { nullable: true, description: 'Return groups after this cursor (a previous `endCursor`).' })
  after?: string | null;
}

@ArgsType()
class MembersArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many members to return (1 to ${MAX_PAGE_SIZE}).` })
  first: number;

  @Field(() => String, { nullable: true, description: 'Return members after this cursor (a previous `endCursor`).' })
  after?: string | null;
}

/** `groups` in name order: `[display name, id]`. */
const GROUP_CURSOR = defineConnection(CURSOR_PART.text, CURSOR_PART.uuid);
/** `Group.members` in id order: `[employee id]`. */
const MEMBER_CURSOR = defineConnection(CURSOR_PART.uuid);

/** Groups are owned by the identity provider (SCIM): this API only reads them. */
@Resolver(() => GroupType)
export class GroupResolver {
  @Query(() => GroupType, { nullable: true, description: 'A group of your tenant by global id; null if none.' })
  async group(
    @Arg('id', () => ID, { description: 'Global id of the group.' }) id: string,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<GroupType | null> {
    const uuid = idOfType(id, 'Group');
    if (!uuid) return null;
    const group = await loaders.group.load(uuid);
    return group ? GroupType.from(group) : null;
  }

  @Query(() => GroupConnection, { description: 'Groups of your tenant, ordered by name.' })
  async groups(@Args() args: GroupsArgs, @Ctx() { ctx }: GraphQLContext): Promise<GroupConnection> {
    const request = GROUP_CURSOR.page(args);
    if (args.search && (args.search.length > 200 || hasControlCharacters(args.search))) {
      throw badUserInput('`search` must be at most 200 characters without control characters.');
    }
    const after = request.after;
    const page = await groupService.search(ctx, {
      search: args.search,
      first: request.first,
      after: after ? { displayName: after[0], id: after[1] } : null,
    });
    return GROUP_CURSOR.connection(GroupConnection, request, page.groups.map(GroupType.from), page, (g) => [g.displayName, g.uuid]);
  }

  @FieldResolver(() => EmployeeConnection, { description: 'The members of the group, a page at a time.' })
  async members(@Root() group: GroupType, @Args() args: MembersArgs, @Ctx() { ctx, loaders }: GraphQLContext): Promise<EmployeeConnection> {
    const request = MEMBER_CURSOR.page(args);
    const afterEmployeeId = request.after ? request.after[0] : null;
    const page = await groupService.memberPage(ctx, group.uuid, { first: request.first, afterEmployeeId });
    const employees = await loaders.employee.loadMany(page.employeeIds);
    const nodes = employees.filter((e): e is Employee => !!e && !(e instanceof Error)).map((e) => EmployeeType.from(e));
    return MEMBER_CURSOR.connection(EmployeeConnection, request, nodes, page, (e) => [e.uuid]);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'The current name of the SCIM access token or OAuth client (an identity provider connection) whose request created ' +
      'the group, from the audit log: which identity provider manages it. Null when it was deleted since, or unrecorded.',
  })
  async provisionedBy(@Root() group: GroupType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    const actorId = await loaders.groupCreator.load(group.uuid);
    return actorId ? ((await loaders.actor.load(actorId))?.name ?? null) : null;
  }
}

/** `Employee.groups`: read through per-request loaders, so a page of employees costs two statements for all groups. */
@Resolver(() => EmployeeType)
export class EmployeeGroupsResolver {
  @FieldResolver(() => [GroupType], { description: 'The groups the employee belongs to (pushed by the identity provider).' })
  async groups(@Root() employee: EmployeeType, @Ctx() { loaders }: GraphQLContext): Promise<GroupType[]> {
    const ids = await loaders.groupIdsOfEmployee.load(employee.uuid);
    const groups = await loaders.group.loadMany(ids);
    return groups.filter((g): g is Group => !!g && !(g instanceof Error)).map((g) => GroupType.from(g));
  }
}
