import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { EventType } from '../../entities/enums';
import { DomainError, ErrorCode } from '../../services/errors';
import { webhookService } from '../../services/webhook.service';
import { GraphQLContext } from '../context';
import { idOfType } from '../global-id';
import { CURSOR_PART, defineConnection } from '../pagination';
import { DeletePayload, ObjectPayload, PayloadOf, payload } from '../payloads';
import { Connection } from '../types/connection.type';
import { EventTypeEnum } from '../types/event.type';
import { WebhookDeliveryType, WebhookEndpointType } from '../types/webhook.type';
import { PageArgs } from './log.resolver';

@ObjectType('WebhookDeliveryConnection', { description: "A page of an endpoint's deliveries, latest event first." })
export class WebhookDeliveryConnection extends Connection(WebhookDeliveryType, 'WebhookDelivery') {}

/** Deliveries are paged by their event's sequence number, latest first. */
const BY_SEQUENCE = defineConnection(CURSOR_PART.sequence);

@InputType('CreateWebhookEndpointInput', { description: 'A new webhook endpoint.' })
class CreateWebhookEndpointInput {
  @Field({ description: 'Where to POST events: https:// and a public address (hosts in WEBHOOK_ALLOW_INSECURE_HOSTS are exempt).' })
  url: string;

  @Field(() => [EventTypeEnum], { description: 'The event types to send (at least one).' })
  eventTypes: EventType[];

  @Field(() => String, { nullable: true, description: 'What the endpoint is for (at most 500 characters).' })
  description?: string | null;
}

@PayloadOf('createWebhookEndpoint')
class CreateWebhookEndpointPayload extends ObjectPayload(WebhookEndpointType, 'webhookEndpoint', {
  result: 'The new endpoint; null when refused.',
}) {
  @Field(() => String, {
    nullable: true,
    description: 'The signing secret (whsec_…), to verify the `webhook-signature` header. Shown only here, once. Null when refused.',
  })
  secret: string | null;
}

@InputType('UpdateWebhookEndpointInput', { description: 'Changes to a webhook endpoint; omitted fields stay as they are.' })
class UpdateWebhookEndpointInput {
  @Field(() => ID, { description: 'Global id of the endpoint.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'A new URL (checked as on creation).' })
  url?: string | null;

  @Field(() => [EventTypeEnum], { nullable: true, description: 'The event types to send from now on.' })
  eventTypes?: EventType[] | null;

  @Field(() => String, { nullable: true, description: 'A new description; an empty string removes it.' })
  description?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'false stops sending; true resumes with the first event not yet delivered (events are kept for the tenant\'s retention).',
  })
  enabled?: boolean | null;
}

@PayloadOf('updateWebhookEndpoint')
class UpdateWebhookEndpointPayload extends ObjectPayload(WebhookEndpointType, 'webhookEndpoint') {}

@InputType('DeleteWebhookEndpointInput', { description: 'The webhook endpoint to delete.' })
class DeleteWebhookEndpointInput {
  @Field(() => ID, { description: 'Global id of the endpoint.' })
  id: string;
}

@PayloadOf('deleteWebhookEndpoint')
class DeleteWebhookEndpointPayload extends DeletePayload('WebhookEndpoint') {}

@InputType('RotateWebhookSecretInput', { description: 'The webhook endpoint whose signing secret to replace.' })
class RotateWebhookSecretInput {
  @Field(() => ID, { description: 'Global id of the endpoint.' })
  id: string;
}

@PayloadOf('rotateWebhookSecret')
class RotateWebhookSecretPayload extends ObjectPayload(WebhookEndpointType, 'webhookEndpoint') {
  @Field(() => String, {
    nullable: true,
    description:
      'The new signing secret, shown only here. For 24 hours deliveries carry a signature by the old secret too, so ' +
      'receivers can switch without missing one. Null when refused.',
  })
  secret: string | null;
}

@InputType('RedeliverWebhookDeliveryInput', { description: 'The delivery to send again.' })
class RedeliverWebhookDeliveryInput {
  @Field(() => ID, { description: 'Global id of the delivery.' })
  id: string;
}

@PayloadOf('redeliverWebhookDelivery')
class RedeliverWebhookDeliveryPayload extends ObjectPayload(WebhookDeliveryType, 'webhookDelivery', {
  result: 'The delivery after the attempt (see status and lastStatusCode); null when refused.',
}) {}

function endpointId(id: string): string {
  const uuid = idOfType(id, 'WebhookEndpoint');
  if (!uuid) throw new DomainError(ErrorCode.NOT_FOUND, `No webhook endpoint with id "${id}" exists.`, 'id');
  return uuid;
}

@Resolver(() => WebhookEndpointType)
export class WebhookResolver {
  @Query(() => [WebhookEndpointType], { description: "Your tenant's webhook endpoints, oldest first. Signing secrets are never shown." })
  async webhookEndpoints(@Ctx() { ctx }: GraphQLContext): Promise<WebhookEndpointType[]> {
    return (await webhookService.list(ctx)).map(WebhookEndpointType.from);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "The endpoint's delivery log, latest event first." })
  async deliveries(@Root() endpoint: WebhookEndpointType, @Args() args: PageArgs, @Ctx() { ctx }: GraphQLContext): Promise<WebhookDeliveryConnection> {
    const request = BY_SEQUENCE.page(args);
    const page = await webhookService.deliveries(ctx, endpoint.uuid, { first: request.first, after: request.after?.[0] });
    return BY_SEQUENCE.connection(WebhookDeliveryConnection, request, page.deliveries.map(WebhookDeliveryType.from), page, (d) => [String(d.sequence)]);
  }

  @Authorized('admin')
  @Mutation(() => CreateWebhookEndpointPayload, { description: 'Creates a webhook endpoint. It receives the events from now on. The secret is in this response only.' })
  async createWebhookEndpoint(
    @Arg('input', () => CreateWebhookEndpointInput, { description: 'The URL, the event types and a description.' }) input: CreateWebhookEndpointInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<CreateWebhookEndpointPayload> {
    return payload(
      CreateWebhookEndpointPayload,
      () => webhookService.create(ctx, { url: input.url, eventTypes: input.eventTypes, description: input.description }),
      (created) => WebhookEndpointType.from(created.endpoint),
      (created) => ({ secret: created?.secret ?? null }),
    );
  }

  @Authorized('admin')
  @Mutation(() => UpdateWebhookEndpointPayload, { description: "Changes a webhook endpoint's URL, event types, description or whether it is enabled." })
  async updateWebhookEndpoint(
    @Arg('input', () => UpdateWebhookEndpointInput, { description: 'The endpoint and its changes.' }) input: UpdateWebhookEndpointInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<UpdateWebhookEndpointPayload> {
    return payload(
      UpdateWebhookEndpointPayload,
      () =>
        webhookService.update(ctx, endpointId(input.id), {
          url: input.url ?? undefined,
          eventTypes: input.eventTypes ?? undefined,
          description: input.description,
          enabled: input.enabled ?? undefined,
        }),
      WebhookEndpointType.from,
    );
  }

  @Authorized('admin')
  @Mutation(() => DeleteWebhookEndpointPayload, { description: 'Deletes a webhook endpoint and its delivery log. Nothing more is sent to it.' })
  async deleteWebhookEndpoint(
    @Arg('input', () => DeleteWebhookEndpointInput, { description: 'The endpoint to delete.' }) input: DeleteWebhookEndpointInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<DeleteWebhookEndpointPayload> {
    return payload(DeleteWebhookEndpointPayload, () => webhookService.remove(ctx, endpointId(input.id)), () => input.id);
  }

  @Authorized('admin')
  @Mutation(() => RotateWebhookSecretPayload, { description: "Replaces an endpoint's signing secret; the old one keeps signing beside it for 24 hours." })
  async rotateWebhookSecret(
    @Arg('input', () => RotateWebhookSecretInput, { description: 'The endpoint.' }) input: RotateWebhookSecretInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<RotateWebhookSecretPayload> {
    return payload(
      RotateWebhookSecretPayload,
      () => webhookService.rotateSecret(ctx, endpointId(input.id)),
      (rotated) => WebhookEndpointType.from(rotated.endpoint),
      (rotated) => ({ secret: rotated?.secret ?? null }),
    );
  }

  @Authorized('admin')
  @Mutation(() => RedeliverWebhookDeliveryPayload, {
    description: "Sends a delivery's event again, now, and records the attempt (the endpoint's regular order is not affected).",
  })
  async redeliverWebhookDelivery(
    @Arg('input', () => RedeliverWebhookDeliveryInput, { description: 'The delivery.' }) input: RedeliverWebhookDeliveryInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<RedeliverWebhookDeliveryPayload> {
    const work = () => {
      const id = idOfType(input.id, 'WebhookDelivery');
      if (!id) throw new DomainError(ErrorCode.NOT_FOUND, `No webhook delivery with id "${input.id}" exists.`, 'id');
      return webhookService.redeliver(ctx, id);
    };
    return payload(RedeliverWebhookDeliveryPayload, work, WebhookDeliveryType.from);
  }
}
