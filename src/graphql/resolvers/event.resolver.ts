import { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, Info, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { EventType } from '../../entities/enums';
import { eventService } from '../../services/event.service';
import { GraphQLContext } from '../context';
import { badUserInput } from '../errors';
import { CURSOR_PART, defineConnection, selects } from '../pagination';
import { Connection } from '../types/connection.type';
import { EventObjectType, EventTypeEnum } from '../types/event.type';
import { PageArgs } from './log.resolver';

@ObjectType('EventConnection', { description: 'A page of the change feed, in sequence order (oldest first).' })
export class EventConnection extends Connection(EventObjectType, 'Event') {}

@ArgsType()
class EventsArgs extends PageArgs {
  @Field(() => [EventTypeEnum], { nullable: true, description: 'Only events of these types (all when absent or empty).' })
  types?: EventType[] | null;
}

@ArgsType()
class EventSubscriptionArgs {
  @Field(() => [EventTypeEnum], { nullable: true, description: 'Only events of these types (all when absent or empty).' })
  types?: EventType[] | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Resume after this cursor (an `endCursor` of `events`, or the `cursor` of the last event received): the events ' +
      'since are sent first, then live ones. Without it, only events from now on.',
  })
  after?: string | null;
}

/**
 * Cursors of the change feed: `["seq", <sequence number>]`. A sequence number means the same on every instance and
 * after restarts, and the order cannot move under it (docs/events.md, "Ordering").
 */
export const EVENT_CURSORS = defineConnection(CURSOR_PART.tag('seq'), CURSOR_PART.sequence);

/** The sequence number an `after` cursor holds, or null; BAD_USER_INPUT for anything this API did not hand out. */
export function afterSequence(after: string | null | undefined): string | null {
  return after ? EVENT_CURSORS.page({ first: 1, after }).after![1] : null;
}

/** The cursor after the event of sequence number `seq`. */
export function eventCursor(seq: string): string {
  return EVENT_CURSORS.cursor(['seq', seq]);
}

@Resolver(() => EventObjectType)
export class EventResolver {
  @Query(() => EventConnection, {
    description:
      "The change feed of your tenant, oldest first, kept for the tenant's `eventRetentionDays`. Page with `after` " +
      '(`pageInfo.endCursor`) to resume where you stopped: cursors stay valid across instances and restarts, and a ' +
      'change committed later always appears after a cursor already handed out, never behind it.',
  })
  async events(@Args() args: EventsArgs, @Ctx() { ctx }: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<EventConnection> {
    const request = EVENT_CURSORS.page(args);
    const page = await eventService.page(ctx, { after: request.after ? request.after[1] : null, first: request.first, types: args.types });
    const totalCount = selects(info, 'totalCount') ? await eventService.count(ctx, args.types) : 0;
    const nodes = page.events.map((e) => EventObjectType.from(e, eventCursor));
    return EVENT_CURSORS.connection(EventConnection, request, nodes, { hasNextPage: page.hasNextPage, totalCount }, (node) => [
      'seq',
      String(node.sequence),
    ]);
  }

  @Subscription(() => EventObjectType, {
    name: 'events',
    description:
      'The change feed, live, over WebSocket (graphql-ws protocol at /graphql; the token in connection_init). With ' +
      '`after`, the events since that cursor come first, so a subscriber that reconnects misses nothing.',
    subscribe: ({ args, context }) => {
      const { ctx, events } = context as GraphQLContext;
      if (!events) throw badUserInput('Subscriptions are served over WebSocket (graphql-ws) at /graphql.');
      const { types, after } = args as EventSubscriptionArgs;
      return events.stream(ctx, { after: afterSequence(after), types });
    },
  })
  eventsLive(@Root() event: Parameters<typeof EventObjectType.from>[0], @Args() _args: EventSubscriptionArgs): EventObjectType {
    return EventObjectType.from(event, eventCursor);
  }
}
