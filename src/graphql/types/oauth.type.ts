import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { OAuthClient, OAuthClientSecret, OAuthGrantType } from '../../entities/oauth-client.entity';
import { PendingAuthorization } from '../../services/oauth/authorization.service';
import { OAuthEndpoints } from '../../services/oauth/endpoints';
import { toGlobalId } from '../global-id';
import { NodeType } from './node.type';

export enum OAuthGrantTypeEnum {
  CLIENT_CREDENTIALS = 'CLIENT_CREDENTIALS',
  AUTHORIZATION_CODE = 'AUTHORIZATION_CODE',
  JWT_BEARER = 'JWT_BEARER',
}
registerEnumType(OAuthGrantTypeEnum, {
  name: 'OAuthGrantType',
  description: 'How an OAuth client obtains access tokens at POST /oauth/token (docs/oauth.md).',
  valuesConfig: {
    CLIENT_CREDENTIALS: { description: 'Client id and secret (Microsoft Entra ID).' },
    AUTHORIZATION_CODE: { description: 'An admin of the tenant approves on a consent page; then refresh tokens (Okta).' },
    JWT_BEARER: {
      description: 'A JWT assertion of a federated issuer (RFC 7523): workload identity federation, no secret.',
    },
  },
});

@ObjectType('OAuthClientSecret', { description: "A client secret: only its first characters are ever shown after it is made." })
export class OAuthClientSecretType {
  @Field(() => ID, { description: 'The id of the secret (to revoke it).' })
  id: string;

  @Field({ description: 'The first characters of the secret (rc_secret_…), to recognise it.' })
  prefix: string;

  @Field({ description: 'When it was made.' })
  createdAt: Date;

  @Field({ description: 'When it stops working (at most 3 years after it was made).' })
  expiresAt: Date;

  @Field(() => Date, { nullable: true, description: 'When a token was last obtained with it (to the minute); null if never.' })
  lastUsedAt: Date | null;

  static from(secret: OAuthClientSecret): OAuthClientSecretType {
    return Object.assign(new OAuthClientSecretType(), {
      id: secret.id,
      prefix: secret.prefix,
      createdAt: secret.createdAt,
      expiresAt: secret.expiresAt,
      lastUsedAt: secret.lastUsedAt,
    });
  }
}

@ObjectType('OAuthFederation', { description: 'The issuer whose assertions authenticate a JWT_BEARER client.' })
export class OAuthFederationType {
  @Field({ description: 'The `iss` of the assertions.' })
  issuer: string;

  @Field({ description: 'The `sub` of the assertions.' })
  subject: string;

  @Field({ description: 'The `aud` the assertions must carry (empty: the token URL).' })
  audience: string;

  @Field(() => String, { nullable: true, description: "The URL of the issuer's JSON Web Key Set; null when the keys were given inline." })
  jwksUrl: string | null;
}

@ObjectType('OAuthClient', {
  implements: NodeType,
  description: "An OAuth client of your tenant: an identity provider's connection for SCIM provisioning (docs/oauth.md).",
})
export class OAuthClientType extends NodeType {
  @Field({ description: 'The client id to give the identity provider (rc_client_…).' })
  clientId: string;

  @Field({ description: 'The name shown on the consent page and as the actor in the logs.' })
  name: string;

  @Field(() => [OAuthGrantTypeEnum], { description: 'How it obtains access tokens.' })
  grantTypes: OAuthGrantType[];

  @Field(() => [String], { description: 'Where authorization codes may be sent (AUTHORIZATION_CODE), compared exactly.' })
  redirectUris: string[];

  @Field(() => OAuthFederationType, { nullable: true, description: 'The federated issuer (JWT_BEARER); null otherwise.' })
  federation: OAuthFederationType | null;

  @Field(() => [OAuthClientSecretType], { description: 'Its secrets that were not revoked (expired ones included), oldest first.' })
  secrets: OAuthClientSecretType[];

  @Field(() => Date, { nullable: true, description: 'When it last obtained or used an access token (to the minute); null if never.' })
  lastUsedAt: Date | null;

  @Field({ description: 'When it was created.' })
  createdAt: Date;

  @Field({
    description:
      "true for your tenant's grant of a platform client: an app offered to every Rollcall tenant with one client id " +
      "(Okta's integration network, docs/oauth.md), which an admin of your tenant approved. Its secrets are the " +
      "operator's (none are shown here); revokeOAuthGrant ends your tenant's grant.",
  })
  platform: boolean;

  @Field(() => Date, { nullable: true, description: 'For a platform client: when an admin of your tenant approved it; null otherwise.' })
  authorizedAt: Date | null;

  static from(client: OAuthClient, secrets: OAuthClientSecret[]): OAuthClientType {
    const f = client.federation;
    return Object.assign(new OAuthClientType(), {
      id: toGlobalId('OAuthClient', client.id),
      clientId: client.clientId,
      name: client.name,
      grantTypes: client.grantTypes,
      redirectUris: client.redirectUris,
      federation: f
        ? Object.assign(new OAuthFederationType(), { issuer: f.issuer, subject: f.subject, audience: f.audience, jwksUrl: f.jwksUrl })
        : null,
      secrets: secrets.filter((s) => s.oauthClientId === client.id).map(OAuthClientSecretType.from),
      lastUsedAt: client.lastUsedAt,
      createdAt: client.createdAt,
      platform: client.platformClientId !== null,
      // The grant row is made by the first approval and kept by later ones (until revoked).
      authorizedAt: client.platformClientId !== null ? client.createdAt : null,
    });
  }
}

@ObjectType('OAuthEndpoints', { description: "What to paste into an identity provider's OAuth settings." })
export class OAuthEndpointsType {
  @Field({ description: 'The SCIM base URL (tenant URL).' })
  scimBaseUrl: string;

  @Field({ description: 'The token endpoint (POST /oauth/token).' })
  tokenUrl: string;

  @Field({ description: 'The authorization endpoint (GET /oauth/authorize), for AUTHORIZATION_CODE.' })
  authorizeUrl: string;

  @Field({ description: 'The authorization server issuer (RFC 8414); its metadata is at /.well-known/oauth-authorization-server.' })
  issuer: string;

  static from(endpoints: OAuthEndpoints): OAuthEndpointsType {
    return Object.assign(new OAuthEndpointsType(), endpoints);
  }
}

@ObjectType('OAuthAuthorizationRequest', { description: 'A pending request of an OAuth client for access, shown on the consent page.' })
export class OAuthAuthorizationRequestType {
  @Field(() => ID, { description: 'The id in the consent page address.' })
  id: string;

  @Field({ description: 'The name of the OAuth client asking.' })
  clientName: string;

  @Field({ description: 'Where the browser goes back to after the decision.' })
  redirectUri: string;

  @Field({ description: 'The tenant the access is for.' })
  tenantName: string;

  @Field(() => [String], { description: 'What is asked: `scim` (SCIM provisioning access).' })
  scopes: string[];

  @Field({ description: 'Until when it can be answered.' })
  expiresAt: Date;

  @Field({
    description:
      'true when the client is a platform client (one app for every Rollcall tenant, e.g. listed in Okta\'s integration ' +
      'network): approving grants it access to your tenant only.',
  })
  platform: boolean;

  static from(pending: PendingAuthorization): OAuthAuthorizationRequestType {
    return Object.assign(new OAuthAuthorizationRequestType(), pending);
  }
}
