import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { OAuthClient, OAuthGrantType } from '../../entities/oauth-client.entity';
import { RequestContext } from '../../services/context';
import { DomainError, ErrorCode } from '../../services/errors';
import { oauthAuthorizationService } from '../../services/oauth/authorization.service';
import { OAuthClientWithSecret, oauthClientService } from '../../services/oauth/client.service';
import { oauthEndpoints } from '../../services/oauth/endpoints';
import { GraphQLContext } from '../context';
import { withUserErrors } from '../errors';
import { idOfType } from '../global-id';
import { DeletePayload, ObjectPayload, PayloadOf, payload } from '../payloads';
import { OAuthAuthorizationRequestType, OAuthClientType, OAuthEndpointsType, OAuthGrantTypeEnum } from '../types/oauth.type';
import { UserError } from '../types/user-error.type';

@InputType('OAuthFederationInput', { description: 'The issuer whose assertions authenticate a JWT_BEARER client (RFC 7523).' })
class OAuthFederationInput {
  @Field({ description: 'The `iss` of the assertions, e.g. https://login.microsoftonline.com/<tenant id>/v2.0.' })
  issuer: string;

  @Field({ description: 'The `sub` of the assertions, e.g. the object id of a managed identity.' })
  subject: string;

  @Field(() => String, { nullable: true, description: 'The `aud` the assertions must carry; omit for the token URL.' })
  audience?: string | null;

  @Field(() => String, { nullable: true, description: "The URL of the issuer's JSON Web Key Set (https). Give this or `jwks`." })
  jwksUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'The issuer\'s public keys as a JSON Web Key Set ({"keys": [...]}), as JSON text.' })
  jwks?: string | null;
}

@InputType('CreateOAuthClientInput', { description: 'A new OAuth client (connection).' })
class CreateOAuthClientInput {
  @Field({ description: 'A name (1 to 100 characters), e.g. "Okta" or "Entra ID production".' })
  name: string;

  @Field(() => [OAuthGrantTypeEnum], { description: 'How it obtains access tokens (at least one).' })
  grantTypes: OAuthGrantType[];

  @Field(() => [String], { nullable: true, description: 'Redirect URIs (AUTHORIZATION_CODE only; at least one there): https, exact.' })
  redirectUris?: string[] | null;

  @Field(() => OAuthFederationInput, { nullable: true, description: 'The federated issuer (JWT_BEARER only; required there).' })
  federation?: OAuthFederationInput | null;
}

@PayloadOf('createOAuthClient')
class CreateOAuthClientPayload extends ObjectPayload(OAuthClientType, 'oauthClient', { result: 'The new client; null when refused.' }) {
  @Field(() => String, {
    nullable: true,
    description: 'Its first client secret (rc_secret_…), shown only here, once. Null when refused or for a JWT_BEARER-only client.',
  })
  clientSecret: string | null;
}

@InputType('AddOAuthClientSecretInput', { description: 'A further secret for a client (rotation).' })
class AddOAuthClientSecretInput {
  @Field(() => ID, { description: 'Global id of the OAuth client.' })
  oauthClientId: string;

  @Field(() => Date, { nullable: true, description: 'When the secret stops working: in the future, at most 3 years away. Omit for 2 years.' })
  expiresAt?: Date | null;
}

@PayloadOf('addOAuthClientSecret')
class AddOAuthClientSecretPayload extends ObjectPayload(OAuthClientType, 'oauthClient') {
  @Field(() => String, { nullable: true, description: 'The new secret, shown only here, once. Null when refused.' })
  clientSecret: string | null;
}

@InputType('RevokeOAuthClientSecretInput', { description: 'The secret to revoke.' })
class RevokeOAuthClientSecretInput {
  @Field(() => ID, { description: 'Global id of the OAuth client.' })
  oauthClientId: string;

  @Field(() => ID, { description: 'The id of the secret (OAuthClientSecret.id).' })
  secretId: string;
}

@PayloadOf('revokeOAuthClientSecret')
class RevokeOAuthClientSecretPayload extends ObjectPayload(OAuthClientType, 'oauthClient') {}

@InputType('DeleteOAuthClientInput', { description: 'The OAuth client to delete.' })
class DeleteOAuthClientInput {
  @Field(() => ID, { description: 'Global id of the OAuth client.' })
  id: string;
}

@PayloadOf('deleteOAuthClient')
class DeleteOAuthClientPayload extends DeletePayload('OAuthClient') {}

@InputType('RevokeOAuthGrantInput', { description: "Your tenant's grant of a platform client to revoke." })
class RevokeOAuthGrantInput {
  @Field(() => ID, { description: 'Global id of the grant (the OAuthClient with platform: true).' })
  oauthClientId: string;
}

@PayloadOf('revokeOAuthGrant')
class RevokeOAuthGrantPayload extends DeletePayload('OAuthClient') {}

@InputType('DecideOAuthAuthorizationInput', { description: 'An admin\'s answer to an OAuth client\'s request for access.' })
class DecideOAuthAuthorizationInput {
  @Field(() => ID, { description: 'The id of the request (OAuthAuthorizationRequest.id).' })
  requestId: string;

  @Field({ description: 'true grants SCIM provisioning access; false refuses it.' })
  approve: boolean;
}

@ObjectType('DecideOAuthAuthorizationPayload', { description: 'Result of decideOAuthAuthorization.' })
class DecideOAuthAuthorizationPayload {
  @Field(() => String, {
    nullable: true,
    description: 'Where to send the browser: the redirect URI with `code` and `state`, or `error=access_denied`. Null when refused.',
  })
  redirectTo: string | null;

  @Field(() => [UserError], { description: 'Why the decision was refused; empty on success. Nothing is written when not empty.' })
  userErrors: UserError[];
}

function clientUuid(id: string, field = 'id'): string {
  const uuid = idOfType(id, 'OAuthClient');
  if (!uuid) throw new DomainError(ErrorCode.NOT_FOUND, `No OAuth client with id "${id}" exists.`, field);
  return uuid;
}

/** A client as the API shows it: with its secrets. */
async function withSecrets(ctx: RequestContext, client: OAuthClient): Promise<OAuthClientType> {
  return OAuthClientType.from(client, await oauthClientService.secrets(ctx, [client.id]));
}

async function shown(ctx: RequestContext, result: OAuthClientWithSecret): Promise<{ client: OAuthClientType; clientSecret: string | null }> {
  return { client: await withSecrets(ctx, result.client), clientSecret: result.clientSecret };
}

/** OAuth clients ("connections") and the consent of the authorization-code flow; admin tokens only. */
@Resolver(() => OAuthClientType)
export class OAuthResolver {
  @Authorized('admin')
  @Query(() => [OAuthClientType], {
    description: "Your tenant's OAuth clients, and its grants of platform clients (platform: true), oldest first. Secrets are never shown.",
  })
  async oauthClients(@Ctx() { ctx }: GraphQLContext): Promise<OAuthClientType[]> {
    const clients = await oauthClientService.list(ctx);
    const secrets = await oauthClientService.secrets(
      ctx,
      clients.map((c) => c.id),
    );
    return clients.map((c) => OAuthClientType.from(c, secrets));
  }

  @Authorized('admin')
  @Query(() => OAuthEndpointsType, { description: 'The URLs an identity provider needs: SCIM base URL, token URL, authorize URL, issuer.' })
  oauthEndpoints(@Ctx() { publicUrl }: GraphQLContext): OAuthEndpointsType {
    return OAuthEndpointsType.from(oauthEndpoints(publicUrl));
  }

  @Authorized('admin')
  @Query(() => OAuthAuthorizationRequestType, {
    nullable: true,
    description: "A pending request for access, for the consent page; null when unknown, answered, expired, or another tenant's.",
  })
  async oauthAuthorizationRequest(
    @Arg('id', () => ID, { description: 'The id in the consent page address.' }) id: string,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<OAuthAuthorizationRequestType | null> {
    const pending = await oauthAuthorizationService.pending(ctx, id);
    return pending ? OAuthAuthorizationRequestType.from(pending) : null;
  }

  @Authorized('admin')
  @Mutation(() => CreateOAuthClientPayload, { description: 'Creates an OAuth client. Its first secret is in this response only.' })
  async createOAuthClient(
    @Arg('input', () => CreateOAuthClientInput, { description: 'Its name, grant types, redirect URIs and federation.' }) input: CreateOAuthClientInput,
    @Ctx() { ctx, publicUrl }: GraphQLContext,
  ): Promise<CreateOAuthClientPayload> {
    // The audience of assertions defaults to the token URL (RFC 7523 §3: the authorization server's token endpoint).
    const federation = input.federation
      ? { ...input.federation, audience: input.federation.audience?.trim() || oauthEndpoints(publicUrl).tokenUrl }
      : null;
    return payload(
      CreateOAuthClientPayload,
      async () => shown(ctx, await oauthClientService.create(ctx, { ...input, federation })),
      (result) => result.client,
      (result) => ({ clientSecret: result?.clientSecret ?? null }),
    );
  }

  @Authorized('admin')
  @Mutation(() => AddOAuthClientSecretPayload, { description: 'Adds a secret to a client (a rotation); it is in this response only.' })
  async addOAuthClientSecret(
    @Arg('input', () => AddOAuthClientSecretInput, { description: 'The client and the expiry.' }) input: AddOAuthClientSecretInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<AddOAuthClientSecretPayload> {
    return payload(
      AddOAuthClientSecretPayload,
      async () => shown(ctx, await oauthClientService.addSecret(ctx, clientUuid(input.oauthClientId, 'oauthClientId'), input.expiresAt ?? null)),
      (result) => result.client,
      (result) => ({ clientSecret: result?.clientSecret ?? null }),
    );
  }

  @Authorized('admin')
  @Mutation(() => RevokeOAuthClientSecretPayload, {
    description: 'Revokes a secret: it and every token obtained with it stop working (on every instance within 10 s).',
  })
  async revokeOAuthClientSecret(
    @Arg('input', () => RevokeOAuthClientSecretInput, { description: 'The client and the secret.' }) input: RevokeOAuthClientSecretInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<RevokeOAuthClientSecretPayload> {
    return payload(
      RevokeOAuthClientSecretPayload,
      async () => withSecrets(ctx, await oauthClientService.revokeSecret(ctx, clientUuid(input.oauthClientId, 'oauthClientId'), input.secretId)),
      (client) => client,
    );
  }

  @Authorized('admin')
  @Mutation(() => DeleteOAuthClientPayload, { description: 'Deletes an OAuth client: its secrets and tokens stop working (on every instance within 10 s).' })
  async deleteOAuthClient(
    @Arg('input', () => DeleteOAuthClientInput, { description: 'The client.' }) input: DeleteOAuthClientInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<DeleteOAuthClientPayload> {
    return payload(DeleteOAuthClientPayload, () => oauthClientService.remove(ctx, clientUuid(input.id)), () => input.id);
  }

  @Authorized('admin')
  @Mutation(() => RevokeOAuthGrantPayload, {
    description:
      "Revokes your tenant's grant of a platform client: its access and refresh tokens in your tenant stop working (on " +
      'every instance within 10 s). Other tenants are not affected; an admin may approve the client again.',
  })
  async revokeOAuthGrant(
    @Arg('input', () => RevokeOAuthGrantInput, { description: 'The grant.' }) input: RevokeOAuthGrantInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<RevokeOAuthGrantPayload> {
    return payload(
      RevokeOAuthGrantPayload,
      () => oauthClientService.revokeGrant(ctx, clientUuid(input.oauthClientId, 'oauthClientId')),
      () => input.oauthClientId,
    );
  }

  @Authorized('admin')
  @Mutation(() => DecideOAuthAuthorizationPayload, {
    description: 'Approves or denies a pending request for access (the consent page); answers where to send the browser.',
  })
  async decideOAuthAuthorization(
    @Arg('input', () => DecideOAuthAuthorizationInput, { description: 'The request and the decision.' }) input: DecideOAuthAuthorizationInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<DecideOAuthAuthorizationPayload> {
    const { result, userErrors } = await withUserErrors(() => oauthAuthorizationService.decide(ctx, input.requestId, input.approve));
    return Object.assign(new DecideOAuthAuthorizationPayload(), { redirectTo: result?.redirectTo ?? null, userErrors });
  }
}
