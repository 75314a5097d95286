import { Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { LogPosition, auditReferenceKind, auditService } from '../../services/audit.service';
import { provisioningLogService } from '../../services/provisioning-log.service';
import { GraphQLContext } from '../context';
import { hasControlCharacters } from '../../services/validation';
import { badUserInput } from '../errors';
import { idOfType, toGlobalId } from '../global-id';
import { CURSOR_PART, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, defineConnection } from '../pagination';
import { Connection } from '../types/connection.type';
import { EmployeeType } from '../types/employee.type';
import { ActorType, AuditEventType, FieldChangeType, ProvisioningEventType, ProvisioningOutcomeEnum } from '../types/log.type';

@ObjectType('AuditEventConnection', { description: 'A page of audit events, newest first.' })
export class AuditEventConnection extends Connection(AuditEventType, 'AuditEvent') {}

@ObjectType('ProvisioningEventConnection', { description: 'A page of provisioning-log entries, newest first.' })
export class ProvisioningEventConnection extends Connection(ProvisioningEventType, 'ProvisioningEvent') {}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many to return (1 to ${MAX_PAGE_SIZE}).` })
  first: number;

  @Field(() => String, { nullable: true, description: 'Return the items after this cursor (a previous `endCursor`).' })
  after?: string | null;
}

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only the events of this employee (global Employee id).' })
  employeeId?: string | null;
}

@ArgsType()
class ProvisioningEventsArgs extends PageArgs {
  @Field(() => ProvisioningOutcomeEnum, { nullable: true, description: 'Only successes, only requests with warnings, or only failures.' })
  outcome?: ProvisioningOutcomeEnum | null;

  @Field(() => ID, { nullable: true, description: 'Only the entries about this employee (global Employee id).' })
  employeeId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only the entries whose userName (as the identity provider sent it) contains this text, case-insensitively.',
  })
  userName?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Only the entries about a person this text names: the employee whose first, last, display or middle name, ' +
      'username or email contains it, or whose userName (as sent) does; accents and case do not matter ("jose" finds ' +
      'José Álvarez).',
  })
  person?: string | null;
}

/** A log search text, trimmed; BAD_USER_INPUT when too long or holding control characters. */
function searchText(value: string | null | undefined, name: string): string | undefined {
  const text = value?.trim();
  if (text && (text.length > 300 || hasControlCharacters(text))) {
    throw badUserInput(`\`${name}\` must be at most 300 characters without control characters.`);
  }
  return text || undefined;
}

/** Cursors of the newest-first lists (logs, tokens): `[timestamp in microseconds, id]`, the services' positions. */
export const NEWEST_FIRST = defineConnection(CURSOR_PART.time('microseconds'), CURSOR_PART.uuid);

/** The cursor parts of a log page's i-th event: its position, as the service gave it. */
function keysOf(positions: LogPosition[]): (node: unknown, i: number) => [string, string] {
  return (_, i) => [positions[i].occurredAt, positions[i].id];
}

/** The log position an `after` cursor holds. */
function positionOf(after: [string, string] | null): LogPosition | undefined {
  return after ? { occurredAt: after[0], id: after[1] } : undefined;
}

function employeeUuid(globalId: string): string {
  const id = idOfType(globalId, 'Employee');
  if (!id) throw badUserInput('`employeeId` is not the id of an Employee.');
  return id;
}

@Resolver(() => AuditEventType)
export class AuditEventResolver {
  @Query(() => AuditEventConnection, { description: 'Changes recorded in your tenant, newest first.' })
  async auditEvents(@Args() args: AuditEventsArgs, @Ctx() { ctx }: GraphQLContext): Promise<AuditEventConnection> {
    const request = NEWEST_FIRST.page(args);
    const employeeId = args.employeeId ? employeeUuid(args.employeeId) : undefined;
    const page = await auditService.list(ctx, {
      targetType: employeeId ? 'employee' : undefined,
      targetId: employeeId,
      first: request.first,
      after: positionOf(request.after),
    });
    return NEWEST_FIRST.connection(AuditEventConnection, request, page.events.map(AuditEventType.from), page, keysOf(page.positions));
  }
}

/**
 * The current name of the role, team or authenticator a reference field's value names, through the request's
 * loaders: a page of events costs one statement per kind, and the loaders only find rows of the caller's tenant.
 */
async function referenceName(field: string, value: string | null, loaders: GraphQLContext['loaders']): Promise<string | null> {
  const kind = auditReferenceKind(field);
  if (!kind || value === null) return null;
  const row = await loaders[kind].load(value);
  return row?.name ?? null;
}

@Resolver(() => FieldChangeType)
export class FieldChangeResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description:
      'For a field naming a role, team or login authenticator (primaryRoleId, teamId, loginAuthenticatorId, ' +
      'defaultRoleId): the current name of the one `from` names. Null for other fields, for an empty value, or when it ' +
      'no longer exists.',
  })
  async fromName(@Root() change: FieldChangeType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return referenceName(change.field, change.from, loaders);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Like `fromName`, for the value after (`to`).' })
  async toName(@Root() change: FieldChangeType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return referenceName(change.field, change.to, loaders);
  }
}

@Resolver(() => ActorType)
export class ActorResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description:
      'The current name of the access token or OAuth client that made the change; null for the command line and the ' +
      'system, or when it was deleted since.',
  })
  async name(@Root() actor: ActorType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return actor.actorId ? ((await loaders.actor.load(actor.actorId))?.name ?? null) : null;
  }

  @FieldResolver(() => ID, {
    nullable: true,
    description: 'Global id of the OAuth client whose access token made the change (an OAuthClient id); null otherwise.',
  })
  async oauthClientId(@Root() actor: ActorType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    if (!actor.actorId) return null;
    return (await loaders.actor.load(actor.actorId))?.kind === 'oauth_client' ? toGlobalId('OAuthClient', actor.actorId) : null;
  }

  @FieldResolver(() => ID, {
    nullable: true,
    description: 'Global id of the access token used (an AccessToken id); null for the command line, the system and OAuth clients.',
  })
  async tokenId(@Root() actor: ActorType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    if (!actor.actorId) return null;
    return (await loaders.actor.load(actor.actorId))?.kind === 'oauth_client' ? null : toGlobalId('AccessToken', actor.actorId);
  }
}

@Resolver(() => ProvisioningEventType)
export class ProvisioningEventResolver {
  @Query(() => ProvisioningEventConnection, {
    description:
      'The SCIM provisioning log of your tenant, newest first: every SCIM write and every failed SCIM request, ' +
      "kept for the tenant's retention period.",
  })
  async provisioningEvents(
    @Args() args: ProvisioningEventsArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ProvisioningEventConnection> {
    const request = NEWEST_FIRST.page(args);
    const employeeId = args.employeeId ? employeeUuid(args.employeeId) : undefined;
    const page = await provisioningLogService.list(ctx, {
      outcome: args.outcome ?? undefined,
      employeeId,
      userName: searchText(args.userName, 'userName'),
      person: searchText(args.person, 'person'),
      first: request.first,
      after: positionOf(request.after),
    });
    const nodes = page.events.map(ProvisioningEventType.from);
    return NEWEST_FIRST.connection(ProvisioningEventConnection, request, nodes, page, keysOf(page.positions));
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      'The current name of the access token or OAuth client that sent the request; null when unauthenticated or deleted since.',
  })
  async actorName(@Root() event: ProvisioningEventType, @Ctx() { loaders }: GraphQLContext): Promise<string | null> {
    return event.tokenId ? ((await loaders.actor.load(event.tokenId))?.name ?? null) : null;
  }

  @FieldResolver(() => EmployeeType, {
    nullable: true,
    description: 'The employee the request concerned; null when none was found or created, or it was deleted since.',
  })
  async employee(@Root() event: ProvisioningEventType, @Ctx() { loaders }: GraphQLContext): Promise<EmployeeType | null> {
    if (!event.employeeId) return null;
    const employee = await loaders.employee.load(event.employeeId);
    return employee ? EmployeeType.from(employee) : null;
  }
}
