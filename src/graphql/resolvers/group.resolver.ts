import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Employee, Group } from '../../entities';
import { groupService } from '../../services/group.service';
import { hasControlCharacters } from '../../services/validation';
import { GraphQLContext } from '../context';
import { badUserInput } from '../errors';
import { idOfType } from '../global-id';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, checkFirst, connection, decodeCursor, encodeCursor } from '../pagination';
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
    const first = checkFirst(args.first);
    if (args.search && (args.search.length > 200 || hasControlCharacters(args.search))) {
      throw badUserInput('`search` must be at most 200 characters without control characters.');
    }
    const after = args.after ? decodeCursor(args.after, 2) : null;
    const page = await groupService.search(ctx, {
      search: args.search,
      first,
      after: after ? { displayName: String(after[0]), id: String(after[1]) } : null,
    });
    return Object.assign(
      new GroupConnection(),
      connection(page.groups.map(GroupType.from), {
        cursorOf: (g) => encodeCursor([g.displayName, g.uuid]),
        hasNextPage: page.hasNextPage,
        hasPreviousPage: after !== null,
        totalCount: page.totalCount,
      }),
    );
  }

  @FieldResolver(() => EmployeeConnection, { description: 'The members of the group, a page at a time.' })
  async members(@Root() group: GroupType, @Args() args: MembersArgs, @Ctx() { ctx, loaders }: GraphQLContext): Promise<EmployeeConnection> {
    const first = checkFirst(args.first);
    const after = args.after ? decodeCursor(args.after, 1) : null;
    const page = await groupService.memberPage(ctx, group.uuid, { first, afterEmployeeId: after ? String(after[0]) : null });
    const employees = await loaders.employee.loadMany(page.employeeIds);
    const nodes = employees.filter((e): e is Employee => !!e && !(e instanceof Error)).map((e) => EmployeeType.from(e));
    return Object.assign(
      new EmployeeConnection(),
      connection(nodes, {
        cursorOf: (e) => encodeCursor([e.uuid]),
        hasNextPage: page.hasNextPage,
        hasPreviousPage: after !== null,
        totalCount: page.totalCount,
      }),
    );
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
