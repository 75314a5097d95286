import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { EventType } from '../../entities/enums';
import { WebhookDelivery, WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import { toGlobalId } from '../global-id';
import { EventTypeEnum } from './event.type';
import { NodeType } from './node.type';

export enum WebhookDeliveryStatusEnum {
  DELIVERED = 'delivered',
  RETRYING = 'retrying',
  FAILED = 'failed',
}
registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a delivery stands.',
  valuesConfig: {
    DELIVERED: { description: 'The receiver answered 2xx.' },
    RETRYING: { description: 'The last attempt failed; another is scheduled (nextAttemptAt). Later events wait for it.' },
    FAILED: { description: 'Every attempt for 3 days failed: the endpoint was disabled.' },
  },
});

@ObjectType('WebhookEndpoint', {
  implements: NodeType,
  description:
    'A receiver of your change feed: Rollcall POSTs each event of its types to the URL, signed per the Standard ' +
    'Webhooks specification, in sequence order (docs/events.md).',
})
export class WebhookEndpointType extends NodeType {
  @Field({ description: 'Where deliveries are POSTed (https://, a public address).' })
  url: string;

  @Field(() => String, { nullable: true, description: 'What the endpoint is for.' })
  description: string | null;

  @Field(() => [EventTypeEnum], { description: 'The event types sent to it.' })
  eventTypes: EventType[];

  @Field({ description: 'Whether events are being sent. Disabled endpoints keep their place: enabling one resumes after it.' })
  enabled: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Why Rollcall disabled the endpoint (every delivery failed for 3 days); null when enabled or disabled by an admin.',
  })
  disabledReason: string | null;

  @Field({ description: 'The first characters of the current signing secret (whsec_…), to recognise it.' })
  secretPrefix: string;

  @Field(() => Date, { nullable: true, description: 'Since when the next event has been failing; null while deliveries succeed.' })
  failingSince: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the last delivery succeeded; null if none has yet.' })
  lastDeliveryAt: Date | null;

  @Field({ description: 'When the endpoint was created.' })
  createdAt: Date;

  /** The database id, for the deliveries resolver. */
  uuid: string;

  static from(endpoint: WebhookEndpoint): WebhookEndpointType {
    // Field by field: the signing secrets must never reach the API.
    return Object.assign(new WebhookEndpointType(), {
      id: toGlobalId('WebhookEndpoint', endpoint.id),
      uuid: endpoint.id,
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes as EventType[],
      enabled: endpoint.enabled,
      disabledReason: endpoint.disabledReason,
      secretPrefix: endpoint.secretPrefix,
      failingSince: endpoint.failingSince,
      lastDeliveryAt: endpoint.lastDeliveryAt,
      createdAt: endpoint.createdAt,
    });
  }
}

@ObjectType('WebhookDelivery', { implements: NodeType, description: 'The sending of one event to one webhook endpoint, with its attempts.' })
export class WebhookDeliveryType extends NodeType {
  @Field({ description: 'The event sent: also the `webhook-id` header, the same on every attempt.' })
  eventId: string;

  @Field(() => EventTypeEnum, { description: 'The type of the event.' })
  eventType: EventType;

  @Field(() => Int, { description: "The event's sequence number in your tenant's feed." })
  sequence: number;

  @Field(() => WebhookDeliveryStatusEnum, { description: 'Where the delivery stands.' })
  status: WebhookDeliveryStatusEnum;

  @Field(() => Int, { description: 'How many times it was sent.' })
  attempts: number;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status at the last attempt; null when it gave none." })
  lastStatusCode: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (refused, timed out, HTTP status); null on success.' })
  lastError: string | null;

  @Field(() => Int, { nullable: true, description: 'How long the last attempt took, in milliseconds.' })
  latencyMs: number | null;

  @Field({ description: 'When it was first attempted.' })
  createdAt: Date;

  @Field({ description: 'When it was last attempted.' })
  lastAttemptAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it will be attempted again (RETRYING); null otherwise.' })
  nextAttemptAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the receiver accepted it; null until then.' })
  deliveredAt: Date | null;

  static from(delivery: WebhookDelivery): WebhookDeliveryType {
    return Object.assign(new WebhookDeliveryType(), {
      id: toGlobalId('WebhookDelivery', delivery.id),
      eventId: delivery.eventId,
      eventType: delivery.eventType as EventType,
      sequence: Number(delivery.eventSeq),
      status: delivery.status as WebhookDeliveryStatusEnum,
      attempts: delivery.attempts,
      lastStatusCode: delivery.lastStatusCode,
      lastError: delivery.lastError,
      latencyMs: delivery.lastLatencyMs,
      createdAt: delivery.createdAt,
      lastAttemptAt: delivery.lastAttemptAt,
      nextAttemptAt: delivery.nextAttemptAt,
      deliveredAt: delivery.deliveredAt,
    });
  }
}
