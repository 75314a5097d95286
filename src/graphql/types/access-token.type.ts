import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { AccessToken } from '../../entities';
import { toGlobalId } from '../global-id';
import { NodeType } from './node.type';

/** GraphQL names are upper case; the values are the stored scopes. */
export enum TokenScopeEnum {
  SCIM = 'scim',
  ADMIN = 'admin',
  READ = 'read',
}
registerEnumType(TokenScopeEnum, {
  name: 'TokenScope',
  description: 'What an access token may do.',
  valuesConfig: {
    SCIM: { description: 'Provisioning from an identity provider over SCIM 2.0 (/scim/v2); no GraphQL access.' },
    ADMIN: { description: 'The GraphQL API: every query and mutation.' },
    READ: { description: 'The GraphQL API: queries only; mutations are refused with FORBIDDEN.' },
  },
});

@ObjectType('AccessToken', {
  implements: NodeType,
  description: 'An API token of your tenant. Its secret is shown once, when it is created, and never stored.',
})
export class AccessTokenType extends NodeType {
  @Field({ description: 'A name to tell the token apart, e.g. "Okta production".' })
  name: string;

  @Field(() => TokenScopeEnum, { description: 'What the token may do.' })
  scope: TokenScopeEnum;

  @Field({ description: 'The first characters of the secret, e.g. rc_scim_AbC123, to recognise it.' })
  prefix: string;

  @Field({ description: 'When the token was created.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the token last authenticated a request (to the minute); null if never.' })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the token was revoked; null while it is not.' })
  revokedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the token stops working by itself; null if never.' })
  expiresAt: Date | null;

  static from(token: AccessToken): AccessTokenType {
    // Field by field: the hash must never reach the API.
    return Object.assign(new AccessTokenType(), {
      id: toGlobalId('AccessToken', token.id),
      name: token.name,
      scope: token.scope as TokenScopeEnum,
      prefix: token.prefix,
      createdAt: token.createdAt,
      lastUsedAt: token.lastUsedAt,
      revokedAt: token.revokedAt,
      expiresAt: token.expiresAt,
    });
  }
}
