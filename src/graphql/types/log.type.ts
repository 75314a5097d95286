import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AuditEvent, ProvisioningEvent } from '../../entities';
import { toGlobalId } from '../global-id';
import { NodeType } from './node.type';

/** GraphQL names are upper case; the values are the stored surfaces. */
export enum ActorSurfaceEnum {
  SCIM = 'scim',
  GRAPHQL = 'graphql',
  CLI = 'cli',
  SYSTEM = 'system',
}
registerEnumType(ActorSurfaceEnum, {
  name: 'ActorSurface',
  description: 'Through which door a change came in.',
  valuesConfig: {
    SCIM: { description: 'The identity provider, over SCIM.' },
    GRAPHQL: { description: 'An admin client, over this GraphQL API.' },
    CLI: { description: "An operator, with Rollcall's command line." },
    SYSTEM: { description: 'Rollcall itself, e.g. start-up bootstrap.' },
  },
});

export enum ProvisioningOutcomeEnum {
  SUCCESS = 'SUCCESS',
  WARNING = 'WARNING',
  FAILURE = 'FAILURE',
}
registerEnumType(ProvisioningOutcomeEnum, {
  name: 'ProvisioningOutcome',
  description: 'Whether a SCIM request succeeded.',
  valuesConfig: {
    SUCCESS: { description: 'Answered with a 2xx status.' },
    WARNING: {
      description:
        'Answered with a 2xx status, but optional values could not be used and were skipped (see `warnings`); the ' +
        'identity provider shows it as a success.',
    },
    FAILURE: { description: 'Refused or failed (4xx or 5xx); the identity provider shows it as an error.' },
  },
});

@ObjectType('ProvisioningWarning', { description: 'An optional value that a SCIM write could not use and skipped.' })
export class ProvisioningWarningType {
  @Field({ description: 'The SCIM attribute path, e.g. `timezone` or `phoneNumbers[type eq "mobile"].value`.' })
  attribute: string;

  @Field({ description: 'The value as the identity provider sent it.' })
  value: string;

  @Field({ description: 'Why it was skipped, and what Rollcall stored instead.' })
  reason: string;
}

@ObjectType('Actor', { description: 'Who made a change.' })
export class ActorType {
  @Field(() => ActorSurfaceEnum, { description: 'Through which door the change came in.' })
  surface: ActorSurfaceEnum;

  @Field(() => ID, {
    nullable: true,
    description: 'Global id of the access token used (an AccessToken id); null for the command line, the system and OAuth clients.',
  })
  tokenId: string | null;

  /** The stored actor id: an access token's, or an OAuth client's (src/http/auth.ts); for the field resolvers. */
  actorId: string | null;

  // name and oauthClientId are resolved in batch by the Actor resolver (src/graphql/resolvers/log.resolver.ts).
}

@ObjectType('FieldChange', { description: 'One field a change touched, with its values before and after.' })
export class FieldChangeType {
  @Field({ description: 'The field, e.g. firstName or scimImportFields.' })
  field: string;

  @Field(() => String, {
    nullable: true,
    description: 'The value before; null when it was empty. Values other than text are JSON, e.g. ["DISPLAY_NAME"] or 30.',
  })
  from: string | null;

  @Field(() => String, { nullable: true, description: 'The value after; null when it is empty. Encoded like `from`.' })
  to: string | null;

  // fromName and toName are resolved in batch by the FieldChange resolver (src/graphql/resolvers/log.resolver.ts).
}

/** Text as is, null as null, anything else as JSON. */
function encodeValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

@ObjectType('AuditEvent', { implements: NodeType, description: 'One recorded change in your tenant (append-only).' })
export class AuditEventType extends NodeType {
  @Field({ description: 'When the change was committed.' })
  occurredAt: Date;

  @Field(() => ActorType, { description: 'Who made the change.' })
  actor: ActorType;

  @Field({ description: 'What happened, e.g. employee.created, employee.updated, token.revoked, tenant.settings_updated.' })
  action: string;

  @Field({ description: 'The kind of thing changed, e.g. employee, access_token or tenant.' })
  targetType: string;

  @Field(() => String, { nullable: true, description: 'The database id (uuid) of the thing changed, when there is one.' })
  targetId: string | null;

  @Field(() => [FieldChangeType], { description: 'The fields changed, in field-name order; empty for actions without fields.' })
  changes: FieldChangeType[];

  @Field(() => String, { nullable: true, description: 'The request id (X-Request-Id) of the request that made the change.' })
  requestId: string | null;

  static from(event: AuditEvent): AuditEventType {
    const changes = Object.entries(event.changes ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([field, change]) =>
        Object.assign(new FieldChangeType(), { field, from: encodeValue(change?.from), to: encodeValue(change?.to) }),
      );
    return Object.assign(new AuditEventType(), {
      id: toGlobalId('AuditEvent', event.id),
      occurredAt: event.occurredAt,
      actor: Object.assign(new ActorType(), {
        surface: event.actorSurface as ActorSurfaceEnum,
        tokenId: event.actorTokenId ? toGlobalId('AccessToken', event.actorTokenId) : null,
        actorId: event.actorTokenId,
      }),
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      changes,
      requestId: event.requestId,
    });
  }
}

@ObjectType('ProvisioningEvent', {
  implements: NodeType,
  description: 'One SCIM write or failed SCIM request, as the identity provider saw it: why a person was flagged.',
})
export class ProvisioningEventType extends NodeType {
  @Field({ description: 'When the request finished.' })
  occurredAt: Date;

  @Field(() => ProvisioningOutcomeEnum, { description: 'Whether the request succeeded.' })
  outcome: ProvisioningOutcomeEnum;

  @Field({ description: 'The HTTP method, e.g. POST or PATCH.' })
  method: string;

  @Field({ description: 'The request path without the query, e.g. /scim/v2/Users.' })
  path: string;

  @Field(() => Int, { description: 'The HTTP status answered, e.g. 201 or 409.' })
  status: number;

  @Field(() => String, { nullable: true, description: 'The SCIM error type answered (RFC 7644 §3.12), e.g. uniqueness.' })
  scimType: string | null;

  @Field(() => String, { nullable: true, description: 'The error detail answered to the identity provider.' })
  detail: string | null;

  @Field(() => String, { nullable: true, description: 'The userName the identity provider sent, if any.' })
  userName: string | null;

  @Field(() => [String], { description: 'Attributes the identity provider sent that your tenant does not import.' })
  ignoredAttributes: string[];

  @Field(() => [ProvisioningWarningType], {
    description: 'Optional values the request sent that could not be used and were skipped (empty unless the outcome is WARNING).',
  })
  warnings: ProvisioningWarningType[];

  @Field(() => Int, { description: 'How long Rollcall took to answer, in milliseconds.' })
  durationMs: number;

  @Field({ description: 'The request id (X-Request-Id), to find the request in server logs.' })
  requestId: string;

  /** For the `employee` resolver; not exposed. */
  employeeId: string | null;

  /** The access token or OAuth client that sent the request, for the `actorName` resolver; not exposed. */
  tokenId: string | null;

  static from(event: ProvisioningEvent): ProvisioningEventType {
    return Object.assign(new ProvisioningEventType(), {
      id: toGlobalId('ProvisioningEvent', event.id),
      occurredAt: event.occurredAt,
      outcome: event.outcome as ProvisioningOutcomeEnum,
      method: event.method,
      path: event.path,
      status: event.status,
      scimType: event.scimType,
      detail: event.detail,
      userName: event.userName,
      ignoredAttributes: event.ignoredAttributes,
      warnings: event.warnings ?? [],
      durationMs: event.durationMs,
      requestId: event.requestId,
      employeeId: event.employeeId,
      tokenId: event.tokenId,
    });
  }
}
