import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { EVENT_TYPES, EventType } from '../../entities/enums';
import type { FeedEvent } from '../../services/event.service';
import { ActorSurfaceEnum } from './log.type';

/** `employee.members_added` -> `EMPLOYEE_MEMBERS_ADDED`: the GraphQL names, built from the one list of event types. */
export function eventTypeName(type: EventType): string {
  return type.replace('.', '_').toUpperCase();
}

export const EventTypeEnum = Object.fromEntries(EVENT_TYPES.map((t) => [eventTypeName(t), t])) as Record<string, EventType>;
registerEnumType(EventTypeEnum, {
  name: 'EventType',
  description: 'The kinds of change the change feed reports (docs/events.md).',
  valuesConfig: {
    EMPLOYEE_CREATED: { description: 'An employee was created (SCIM POST, or locally).' },
    EMPLOYEE_UPDATED: { description: 'Fields of an employee changed (`data.changes` lists them), status aside.' },
    EMPLOYEE_DEACTIVATED: { description: 'An employee became INACTIVE (other fields may have changed with it).' },
    EMPLOYEE_REACTIVATED: { description: 'An employee became ACTIVE again.' },
    EMPLOYEE_DELETED: { description: 'An employee was deleted (SCIM DELETE); the record is kept, `deletedAt` set.' },
    GROUP_CREATED: { description: 'A group was created; its first members follow as GROUP_MEMBERS_ADDED.' },
    GROUP_UPDATED: { description: "A group's displayName or externalId changed." },
    GROUP_DELETED: { description: 'A group was deleted, with its memberships.' },
    GROUP_MEMBERS_ADDED: { description: 'Employees were added to a group: at most 1,000 ids per event.' },
    GROUP_MEMBERS_REMOVED: { description: 'Employees were removed from a group: at most 1,000 ids per event.' },
  },
});

@ObjectType('EventActor', { description: 'Who made the change an event reports.' })
export class EventActorType {
  @Field(() => ActorSurfaceEnum, { description: 'Through which door the change came in.' })
  surface: ActorSurfaceEnum;

  @Field(() => String, { nullable: true, description: "The name of the access token used (or of the OAuth client whose access token it was), as it was then; null without a token (command line, system)." })
  tokenName: string | null;
}

@ObjectType('Event', { description: 'One change in the change feed, in the order changes became visible (docs/events.md).' })
export class EventObjectType {
  @Field(() => ID, { description: 'The event id: stable, the key to de-duplicate on (the same id a webhook delivery carries).' })
  id: string;

  @Field(() => EventTypeEnum, { description: 'What happened.' })
  type: EventType;

  @Field(() => GraphQLSafeInt, { description: "The tenant-local sequence number: 1, 2, 3, … in the feed's order, without gaps." })
  sequence: number;

  @Field({ description: 'When the change was made (its transaction started).' })
  occurredAt: Date;

  @Field(() => EventActorType, { description: 'Who made the change.' })
  actor: EventActorType;

  @Field({ description: '`employee` or `group`.' })
  resourceType: string;

  @Field(() => ID, { description: 'The database id (uuid, the SCIM id) of the employee or group.' })
  resourceId: string;

  @Field(() => GraphQLJSONObject, {
    description:
      'The payload: `employee` or `group` as it is after the change; `changes` ({ field: { from, to } }) for updates; ' +
      '`memberIds` and `chunk` ({ index, count }) for membership events. Shapes in docs/events.md.',
  })
  data: Record<string, unknown>;

  @Field({ description: 'Pass as `after` (to `events` or the subscription) to continue after this event.' })
  cursor: string;

  static from(event: FeedEvent, cursorOf: (seq: string) => string): EventObjectType {
    return Object.assign(new EventObjectType(), {
      id: event.id,
      type: event.type,
      sequence: Number(event.seq),
      occurredAt: event.occurredAt,
      actor: Object.assign(new EventActorType(), { surface: event.actorSurface as ActorSurfaceEnum, tokenName: event.actorTokenName }),
      resourceType: event.resourceType,
      resourceId: event.resourceId,
      data: event.data,
      cursor: cursorOf(event.seq),
    });
  }
}
