import { Arg, Args, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { DomainError, ErrorCode } from '../../services/errors';
import { tokenService } from '../../services/token.service';
import { GraphQLContext } from '../context';
import { idOfType } from '../global-id';
import { ObjectPayload, Payload, PayloadOf, payload } from '../payloads';
import { AccessTokenType, TokenScopeEnum } from '../types/access-token.type';
import { Connection } from '../types/connection.type';
import { NEWEST_FIRST, PageArgs } from './log.resolver';

@ObjectType('AccessTokenConnection', { description: 'A page of access tokens, newest first.' })
export class AccessTokenConnection extends Connection(AccessTokenType, 'AccessToken') {}

@InputType('CreateAccessTokenInput', { description: 'A new access token.' })
class CreateAccessTokenInput {
  @Field({ description: 'A name to tell the token apart (1 to 100 characters), e.g. "Okta production".' })
  name: string;

  @Field(() => TokenScopeEnum, { description: 'What the token may do.' })
  scope: TokenScopeEnum;

  @Field(() => Date, { nullable: true, description: 'When the token stops working by itself (in the future); omit for never.' })
  expiresAt?: Date | null;
}

@PayloadOf('createAccessToken')
class CreateAccessTokenPayload extends ObjectPayload(AccessTokenType, 'accessToken', {
  result: 'The new token; null when refused.',
  userErrors: 'Why the token was not created; empty on success.',
}) {
  @Field(() => String, {
    nullable: true,
    description:
      'The secret to send as "Authorization: Bearer <secret>". Shown only here, once: Rollcall stores only its ' +
      'SHA-256 hash. Null when refused.',
  })
  secret: string | null;
}

@InputType('RevokeAccessTokenInput', { description: 'The access token to revoke.' })
class RevokeAccessTokenInput {
  @Field(() => ID, { description: 'Global id of the access token.' })
  id: string;
}

@PayloadOf('revokeAccessToken')
class RevokeAccessTokenPayload extends ObjectPayload(AccessTokenType, 'accessToken', {
  result: 'The revoked token; null when refused.',
  userErrors: 'Why the token was not revoked; empty on success.',
}) {}

@Resolver(() => AccessTokenType)
export class AccessTokenResolver {
  @Query(() => AccessTokenConnection, {
    description: "Your tenant's access tokens, newest first, revoked and expired ones included. Secrets are never shown.",
  })
  async accessTokens(@Args() args: PageArgs, @Ctx() { ctx }: GraphQLContext): Promise<AccessTokenConnection> {
    const request = NEWEST_FIRST.page(args);
    const after = request.after ? { createdAt: request.after[0], id: request.after[1] } : undefined;
    const page = await tokenService.page(ctx, { first: request.first, after });
    const keyOf = (_: unknown, i: number): [string, string] => [page.positions[i].createdAt, page.positions[i].id];
    return NEWEST_FIRST.connection(AccessTokenConnection, request, page.tokens.map(AccessTokenType.from), page, keyOf);
  }

  @Authorized('admin')
  @Mutation(() => CreateAccessTokenPayload, {
    description: 'Creates an access token. The secret is in this response only; store it now.',
  })
  async createAccessToken(
    @Arg('input', () => CreateAccessTokenInput, { description: 'The name, scope and optional expiry.' })
    input: CreateAccessTokenInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<CreateAccessTokenPayload> {
    return payload(
      CreateAccessTokenPayload,
      () => tokenService.create(ctx, { name: input.name, scope: input.scope, expiresAt: input.expiresAt ?? null }),
      (created) => AccessTokenType.from(created.token),
      (created) => ({ secret: created?.secret ?? null }),
    );
  }

  @Authorized('admin')
  @Mutation(() => RevokeAccessTokenPayload, {
    description:
      'Revokes an access token: it is refused from the next request on. Revoking a revoked token changes nothing; ' +
      'the token of this very request may be revoked too.',
  })
  async revokeAccessToken(
    @Arg('input', () => RevokeAccessTokenInput, { description: 'The token to revoke.' }) input: RevokeAccessTokenInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Payload<AccessTokenType>> {
    const work = () => {
      const id = idOfType(input.id, 'AccessToken');
      if (!id) throw new DomainError(ErrorCode.NOT_FOUND, `No access token with id "${input.id}" exists.`, 'id');
      return tokenService.revokeById(ctx, id);
    };
    return payload(RevokeAccessTokenPayload, work, AccessTokenType.from);
  }
}
