import { timingSafeEqual } from 'node:crypto';
import OAuth2Server, {
  AbstractGrantType,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  OAuthError,
  Request as OAuthRequest,
  Response as OAuthResponse,
  ServerError,
  UnsupportedGrantTypeError,
} from '@node-oauth/oauth2-server';
import { decodeJwt } from 'jose';
import { EntityManager } from 'typeorm';
import { OAuthClient, OAuthGrantType } from '../../entities/oauth-client.entity';
import { OAuthAuthorization } from '../../entities/oauth-authorization.entity';
import { logger } from '../../logging';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../errors';
import * as sql from '../sql';
import { hashToken } from '../token.service';
import { equivalentIssuers, verifyAssertion } from './assertion';
import { oauthAuthorizationService } from './authorization.service';
import { oauthClientService } from './client.service';
import { oauthPlatformClientService } from './platform-client.service';
import {
  OAUTH_SCOPE,
  REFRESH_TOKEN_LIFETIME_SECONDS,
  forgetOAuthAuthentications,
  newAccessToken,
  newRefreshToken,
  oauthTokenService,
} from './tokens';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The grants of the library (its names) that each of our grant types allows. */
const LIBRARY_GRANTS: Record<OAuthGrantType, string[]> = {
  CLIENT_CREDENTIALS: ['client_credentials'],
  AUTHORIZATION_CODE: ['authorization_code', 'refresh_token'],
  JWT_BEARER: [JWT_BEARER_GRANT],
};

const SUPPORTED_GRANTS = new Set(Object.values(LIBRARY_GRANTS).flat());

/**
 * RFC 6749 §5.2 descriptions per error. Fixed texts: the library's own messages say which part of a credential was
 * wrong ("code verifier is invalid", "refresh token has expired"), which a client must not learn.
 */
const DESCRIPTIONS: Record<string, string> = {
  invalid_client: 'Client authentication failed.',
  invalid_grant: 'The authorization code, refresh token or assertion is invalid, expired, revoked, or was issued to another client.',
  unauthorized_client: 'This client may not use this grant type.',
  unsupported_grant_type: 'Unsupported grant_type.',
  invalid_scope: 'The scope parameter is malformed.',
};

export interface TokenRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

export interface TokenAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

interface ModelClient {
  id: string;
  tenantId: string;
  name: string;
  grants: string[];
  redirectUris: string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  /** The secret the request authenticated with; null when by assertion. */
  secretId: string | null;
  federation: OAuthClient['federation'];
  /**
   * A platform client (docs/oauth.md "Platform clients"): `id` is the platform client's, `tenantId` is empty, and the
   * tenant and grant come from the code or refresh token presented (RequestState.bound).
   */
  platform?: boolean;
}

/** What one token request learnt on its way through the library's grant (the model is made per request). */
interface RequestState {
  /** The client a verified client_assertion authenticated (private_key_jwt, Entra workload identity federation). */
  assertedClientId: string | null;
  grantType: string;
  body: Record<string, unknown>;
  familyId?: string;
  authorizationId?: string;
  /**
   * The tenant and the tenant's grant (oauth_clients row) that the presented code or refresh token belongs to, when it
   * belongs to a grant of a platform client: a platform client's tokens are issued there and nowhere else.
   */
  bound?: { tenantId: string; oauthClientId: string };
}

function modelClient(client: OAuthClient, lifetime: number, secretId: string | null, asserted: boolean): ModelClient {
  const grants = client.grantTypes.flatMap((g) => LIBRARY_GRANTS[g]);
  // Entra's workload identity federation is client_credentials with a client assertion (RFC 7523 §2.2).
  if (asserted && client.grantTypes.includes('JWT_BEARER')) grants.push('client_credentials');
  return {
    id: client.id,
    tenantId: client.tenantId,
    name: client.name,
    grants,
    redirectUris: client.redirectUris,
    accessTokenLifetime: lifetime,
    refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_SECONDS,
    secretId,
    federation: client.federation,
  };
}

/**
 * The client id the library compares with the authenticated client's for a code or refresh token of `oauthClientId`:
 * the platform client's id for a tenant's grant of one (remembered in `state.bound`), else the tenant client's own.
 */
async function ownerOf(manager: EntityManager, state: RequestState, tenantId: string, oauthClientId: string): Promise<string> {
  const row = await sql.one<{ platform_client_id: string | null }>({ manager }, 'SELECT platform_client_id FROM oauth_clients WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    oauthClientId,
  ]);
  if (!row?.platform_client_id) return oauthClientId;
  state.bound = { tenantId, oauthClientId };
  return row.platform_client_id;
}

/** A platform client authenticated by one of its secrets, as the library's client: the authorization-code grant only. */
async function platformModelClient(manager: EntityManager, state: RequestState, clientId: string, clientSecret: string | undefined): Promise<ModelClient | null> {
  // Always confidential, never by assertion.
  if (!clientSecret || state.assertedClientId !== null) return null;
  const platform = await oauthPlatformClientService.findByClientId(manager, clientId);
  const secretId = platform ? await oauthPlatformClientService.matchSecret(manager, platform, clientSecret) : null;
  if (!platform || !secretId) return null;
  return {
    id: platform.id,
    tenantId: '',
    name: platform.name,
    grants: LIBRARY_GRANTS.AUTHORIZATION_CODE,
    redirectUris: platform.redirectUris,
    // Replaced in saveToken by the bound tenant's setting (the tenant is not known yet).
    accessTokenLifetime: 3600,
    refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_SECONDS,
    secretId,
    federation: null,
    platform: true,
  };
}

async function lifetimeOf(manager: EntityManager, tenantId: string): Promise<number> {
  const row = await sql.one<{ lifetime: number }>({ manager }, 'SELECT oauth_access_token_lifetime_seconds AS lifetime FROM tenants WHERE id = $1', [
    tenantId,
  ]);
  return row?.lifetime ?? 3600;
}

/** The active secret of `client` that `secret` is, or null; compared by hash, then in constant time. */
async function matchSecret(manager: EntityManager, client: OAuthClient, secret: string): Promise<string | null> {
  if (secret.length < 16 || secret.length > 512) return null;
  const hash = hashToken(secret);
  const row = await sql.one<{ id: string; secret_hash: string; last_used_at: Date | null }>(
    { manager },
    `SELECT id, secret_hash, last_used_at FROM oauth_client_secrets
      WHERE secret_hash = $1 AND tenant_id = $2 AND oauth_client_id = $3 AND revoked_at IS NULL AND expires_at > now()`,
    [hash, client.tenantId, client.id],
  );
  if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(hash))) return null;
  if (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > 60_000) {
    await sql.affected({ manager }, 'UPDATE oauth_client_secrets SET last_used_at = now() WHERE tenant_id = $1 AND id = $2', [client.tenantId, row.id]);
  }
  return row.id;
}

function federationOf(f: NonNullable<OAuthClient['federation']>, tokenUrl: string) {
  return { issuer: f.issuer, subject: f.subject, audience: f.audience || tokenUrl, jwksUrl: f.jwksUrl, jwks: f.jwks as never };
}

/** The claims of an assertion, read without trusting them: only to find which client's keys must verify it. */
function unverifiedClaims(assertion: unknown): { iss?: string; sub?: string } | null {
  if (typeof assertion !== 'string' || assertion.length > 16_000) return null;
  try {
    const claims = decodeJwt(assertion);
    return { iss: typeof claims.iss === 'string' ? claims.iss : undefined, sub: typeof claims.sub === 'string' ? claims.sub : undefined };
  } catch {
    return null;
  }
}

/** The one federated client whose issuer and subject an assertion names (ambiguity is refused, not guessed). */
async function clientByFederation(manager: EntityManager, iss: string, sub: string): Promise<OAuthClient | null> {
  const rows = await sql.rows<{ client_id: string }>(
    { manager },
    `SELECT client_id FROM oauth_clients
      WHERE federation->>'issuer' = ANY($1::text[]) AND federation->>'subject' = $2 AND 'JWT_BEARER' = ANY(grant_types) LIMIT 2`,
    // Entra's v1 and v2 issuer forms of one tenant are the same issuer (src/services/oauth/assertion.ts).
    [equivalentIssuers(iss), sub],
  );
  return rows.length === 1 ? oauthClientService.findByClientId(manager, rows[0].client_id) : null;
}

/**
 * The jwt-bearer authorization grant (RFC 7523 §2.1) as an extension grant of the library: the assertion, verified
 * by src/services/oauth/assertion.ts against the client's federation, is the grant. No refresh token: the issuer
 * gives a fresh assertion each time.
 */
function jwtBearerGrant(manager: EntityManager, tokenUrl: string) {
  return class JwtBearerGrant extends AbstractGrantType {
    async handle(request: OAuthRequest, client: ModelClient) {
      const assertion = request.body.assertion;
      if (typeof assertion !== 'string' || assertion === '') throw new InvalidRequestError('Missing parameter: `assertion`');
      if (!client.federation) throw new InvalidGrantError('Invalid grant');
      const result = await verifyAssertion({ manager }, assertion, federationOf(client.federation, tokenUrl));
      if (!result.ok) {
        logger.info({ oauthClientId: client.id, reason: result.reason }, 'oauth assertion refused');
        throw new InvalidGrantError('Invalid grant');
      }
      const scope = (await this.validateScope(client, client, this.getScope(request))) || [OAUTH_SCOPE];
      const accessToken = await this.generateAccessToken(client, client, scope);
      const token = { accessToken, accessTokenExpiresAt: this.getAccessTokenExpiresAt(), scope };
      return (this as unknown as { model: ReturnType<typeof model> }).model.saveToken(token, client, client);
    }
  };
}

/** The model of @node-oauth/oauth2-server over our tables, for one request. */
function model(manager: EntityManager, state: RequestState) {
  return {
    async getClient(clientId: string, clientSecret: string | undefined): Promise<ModelClient | null> {
      const client = await oauthClientService.findByClientId(manager, clientId);
      if (!client) return platformModelClient(manager, state, clientId, clientSecret);
      let secretId: string | null = null;
      const asserted = state.assertedClientId === client.id;
      if (clientSecret) {
        // A client assertion and a secret at once is two authentications (RFC 6749 §2.3): refused.
        if (state.assertedClientId !== null) return null;
        secretId = await matchSecret(manager, client, clientSecret);
        if (!secretId) return null;
      } else if (!asserted && !(state.grantType === JWT_BEARER_GRANT && client.grantTypes.includes('JWT_BEARER'))) {
        // No secret and no assertion: every client of Rollcall is confidential. (The jwt-bearer grant authenticates
        // by its assertion, verified by the grant.)
        return null;
      }
      return modelClient(client, await lifetimeOf(manager, client.tenantId), secretId, asserted);
    },

    async getUserFromClient(client: ModelClient) {
      return { id: client.id };
    },

    /**
     * Whatever was asked, the token gets SCIM access and nothing more, and the answer's `scope` says so (RFC 6749 §3.3
     * lets the server narrow the request). Refusing unknown scopes would only break an identity provider configured
     * with extra ones (Okta's `offline_access`, an Entra `.default`), for nothing: no scope grants more.
     */
    async validateScope(): Promise<string[]> {
      return [OAUTH_SCOPE];
    },

    async generateAccessToken() {
      return newAccessToken();
    },

    async generateRefreshToken() {
      return newRefreshToken();
    },

    async saveToken(
      token: { accessToken: string; accessTokenExpiresAt: Date; refreshToken?: string; refreshTokenExpiresAt?: Date; scope?: string[] },
      client: ModelClient,
      user: { id: string },
    ) {
      let tenantId = client.tenantId;
      let oauthClientId = client.id;
      if (client.platform) {
        // The tenant whose admin approved the code this grant descends from; nothing else is this client's to act on.
        if (!state.bound) throw new InvalidGrantError('Invalid grant');
        ({ tenantId, oauthClientId } = state.bound);
        const lifetime = await lifetimeOf(manager, tenantId);
        token = { ...token, accessTokenExpiresAt: new Date(Date.now() + lifetime * 1000) };
        client = { ...client, tenantId, accessTokenLifetime: lifetime };
        await oauthPlatformClientService.touch(manager, client.id);
      }
      await oauthTokenService.issue(manager, {
        tenantId,
        oauthClientId,
        grantType: state.grantType,
        secretId: client.secretId,
        familyId: state.familyId,
        authorizationId: state.authorizationId ?? null,
        accessTokenLifetimeSeconds: client.accessTokenLifetime,
        accessToken: token.accessToken,
        accessTokenExpiresAt: token.accessTokenExpiresAt,
        refreshToken: token.refreshToken ?? null,
        refreshTokenExpiresAt: token.refreshTokenExpiresAt ?? null,
      });
      await oauthTokenService.touchClient(manager, tenantId, oauthClientId);
      return { ...token, scope: [OAUTH_SCOPE], client, user };
    },

    async getAuthorizationCode(code: string) {
      const row = await oauthAuthorizationService.byCode(manager, code);
      if (!row || row.codeHash === null) return null;
      if (row.codeUsedAt !== null) {
        // A replay: the first exchange may have been an attacker's, so what it issued is revoked (RFC 6749 §4.1.2).
        await oauthTokenService.revokeForAuthorization(manager, row.tenantId, row.id, row.oauthClientId);
        return null;
      }
      if (state.body.redirect_uri !== row.redirectUri) {
        // RFC 6749 §4.1.3: the redirect_uri must be the authorization request's. The code is spent all the same.
        await oauthAuthorizationService.consume(manager, row);
        return null;
      }
      return {
        authorizationCode: code,
        expiresAt: row.expiresAt,
        redirectUri: row.redirectUri,
        scope: [row.scope],
        client: { id: await ownerOf(manager, state, row.tenantId, row.oauthClientId) },
        user: { id: row.oauthClientId },
        codeChallenge: row.codeChallenge ?? undefined,
        codeChallengeMethod: row.codeChallengeMethod ?? undefined,
        row,
      };
    },

    async revokeAuthorizationCode(code: { row: OAuthAuthorization }) {
      if (!(await oauthAuthorizationService.consume(manager, code.row))) return false;
      state.authorizationId = code.row.id;
      return true;
    },

    async getRefreshToken(refreshToken: string) {
      if (refreshToken.length > 512) return null;
      const row = await sql.one<{ id: string; tenant_id: string; oauth_client_id: string; family_id: string; expires_at: Date; revoked_at: Date | null; rotated_at: Date | null }>(
        { manager },
        `SELECT id, tenant_id, oauth_client_id, family_id, expires_at, revoked_at, rotated_at FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh'`,
        [hashToken(refreshToken)],
      );
      if (!row) return null;
      if (row.rotated_at !== null) {
        await oauthTokenService.revokeFamily(manager, row.tenant_id, row.family_id, row.oauth_client_id);
        return null;
      }
      if (row.revoked_at !== null) return null;
      return {
        refreshToken,
        refreshTokenExpiresAt: row.expires_at,
        scope: [OAUTH_SCOPE],
        client: { id: await ownerOf(manager, state, row.tenant_id, row.oauth_client_id) },
        user: { id: row.oauth_client_id },
        row,
      };
    },

    /** The rotation: the presented refresh token is spent; its family carries on in the new one. */
    async revokeToken(token: { row: { id: string; tenant_id: string; family_id: string; oauth_client_id: string } }) {
      const n = await sql.affected(
        { manager },
        'UPDATE oauth_tokens SET rotated_at = now() WHERE tenant_id = $1 AND id = $2 AND rotated_at IS NULL AND revoked_at IS NULL',
        [token.row.tenant_id, token.row.id],
      );
      if (n !== 1) {
        // Two exchanges of one refresh token at once: one of them holds a copy.
        await oauthTokenService.revokeFamily(manager, token.row.tenant_id, token.row.family_id, token.row.oauth_client_id);
        return false;
      }
      state.familyId = token.row.family_id;
      return true;
    },
  };
}

function answerError(error: unknown, requestId: string): TokenAnswer {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
  const inner = error instanceof OAuthError ? ((error as { inner?: unknown }).inner ?? error) : error;
  if (isDatabaseUnavailable(inner)) {
    return {
      status: 503,
      headers: { ...headers, 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      body: { error: 'temporarily_unavailable', error_description: `The database is unavailable; retry in ${DATABASE_RETRY_AFTER_SECONDS} s.` },
    };
  }
  if (!(error instanceof OAuthError) || error instanceof ServerError || error.code >= 500) {
    logger.error({ err: inner, requestId }, 'oauth token endpoint failed');
    return { status: 500, headers, body: { error: 'server_error', error_description: `Internal error (request id ${requestId}).` } };
  }
  const name = error.name;
  const body = { error: name, error_description: DESCRIPTIONS[name] ?? error.message };
  if (error instanceof InvalidClientError) {
    // RFC 6749 §5.2: 401 with a challenge when the client tried the Authorization header.
    if (error.code === 401) return { status: 401, headers: { ...headers, 'WWW-Authenticate': 'Basic realm="rollcall"' }, body };
    return { status: 401, headers, body };
  }
  return { status: 400, headers, body };
}

/**
 * POST /oauth/token (RFC 6749 §3.2), transport-neutral: the library runs the grants over our model; before it, a
 * client assertion is verified (it authenticates the client), and a jwt-bearer grant without client_id is matched
 * to the client whose federation names the assertion's issuer and subject.
 */
export async function handleTokenRequest(manager: EntityManager, request: TokenRequest, options: { tokenUrl: string; requestId: string }): Promise<TokenAnswer> {
  const body = { ...request.body };
  for (const [key, value] of Object.entries(body)) {
    // RFC 6749 §3.2: parameters must not be repeated.
    if (typeof value !== 'string') return answerError(new InvalidRequestError(`Invalid parameter: \`${key}\` (repeated or not text)`), options.requestId);
  }
  const grantType = typeof body.grant_type === 'string' ? body.grant_type : '';
  const state: RequestState = { assertedClientId: null, grantType, body };
  try {
    // The library also knows the password grant, which Rollcall does not offer to anyone.
    if (grantType !== '' && !SUPPORTED_GRANTS.has(grantType)) throw new UnsupportedGrantTypeError('Unsupported grant type');
    if (body.client_assertion_type !== undefined || body.client_assertion !== undefined) {
      if (body.client_assertion_type !== JWT_BEARER_CLIENT_ASSERTION || typeof body.client_assertion !== 'string') {
        throw new InvalidClientError('Invalid client');
      }
      const claims = unverifiedClaims(body.client_assertion);
      let client = typeof body.client_id === 'string' ? await oauthClientService.findByClientId(manager, body.client_id) : null;
      if (!client && typeof body.client_id !== 'string' && claims?.sub) {
        client = (await oauthClientService.findByClientId(manager, claims.sub)) ?? (claims.iss ? await clientByFederation(manager, claims.iss, claims.sub) : null);
      }
      if (!client?.federation || !client.grantTypes.includes('JWT_BEARER')) throw new InvalidClientError('Invalid client');
      const result = await verifyAssertion({ manager }, body.client_assertion, federationOf(client.federation, options.tokenUrl));
      if (!result.ok) {
        logger.info({ clientId: client.clientId, reason: result.reason, requestId: options.requestId }, 'oauth client assertion refused');
        throw new InvalidClientError('Invalid client');
      }
      state.assertedClientId = client.id;
      body.client_id = client.clientId;
      delete body.client_assertion;
      delete body.client_assertion_type;
    } else if (grantType === JWT_BEARER_GRANT && body.client_id === undefined && !request.headers.authorization) {
      const claims = unverifiedClaims(body.assertion);
      const client = claims?.iss && claims.sub ? await clientByFederation(manager, claims.iss, claims.sub) : null;
      if (!client) throw new InvalidGrantError('Invalid grant');
      body.client_id = client.clientId;
    }
    const server = new OAuth2Server({
      model: model(manager, state) as never,
      // Every client is confidential: authentication is decided in model.getClient (secret, or a verified assertion),
      // which the library then calls with client_id alone when no secret was sent.
      requireClientAuthentication: { client_credentials: false, authorization_code: false, refresh_token: false, [JWT_BEARER_GRANT]: false },
      accessTokenLifetime: 3600,
      refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_SECONDS,
      extendedGrantTypes: { [JWT_BEARER_GRANT]: jwtBearerGrant(manager, options.tokenUrl) as never },
    });
    const req = new OAuthRequest({ method: request.method, headers: request.headers as Record<string, string>, query: request.query as Record<string, string>, body });
    const res = new OAuthResponse({ headers: {} });
    await server.token(req, res);
    return { status: 200, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' }, body: res.body as Record<string, unknown> };
  } catch (error) {
    return answerError(error, options.requestId);
  }
}

/** The client id and secret of client_secret_basic (RFC 6749 §2.3.1: form-encoded, then Basic) or client_secret_post. */
function secretCredentials(request: TokenRequest, body: Record<string, unknown>): { clientId: string; secret: string } | null {
  const header = request.headers.authorization;
  const basic = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim()) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    try {
      return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    } catch {
      return null;
    }
  }
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') return { clientId: body.client_id, secret: body.client_secret };
  return null;
}

/**
 * POST /oauth/revoke (RFC 7009): a client revokes one of its own tokens. A refresh token takes its family with it, as
 * a replay does. The answer is 200 whether or not the token was known or the client's (RFC 7009 §2.2), so it tells
 * nothing about other clients' tokens; only the client's authentication can fail.
 */
export async function handleRevocationRequest(manager: EntityManager, request: TokenRequest, options: { requestId: string }): Promise<TokenAnswer> {
  const headers = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
  const body = request.body;
  try {
    if (Object.values(body).some((v) => typeof v !== 'string')) throw new InvalidRequestError('Invalid request');
    const credentials = secretCredentials(request, body);
    const client = credentials ? await oauthClientService.findByClientId(manager, credentials.clientId) : null;
    const platform = credentials && !client ? await oauthPlatformClientService.findByClientId(manager, credentials.clientId) : null;
    const authenticated = client
      ? await matchSecret(manager, client, credentials!.secret)
      : platform
        ? await oauthPlatformClientService.matchSecret(manager, platform, credentials!.secret)
        : null;
    if (!credentials || !authenticated) throw new InvalidClientError('Invalid client');
    const token = body.token;
    if (typeof token !== 'string' || token === '') throw new InvalidRequestError('Missing parameter: `token`');
    if (token.length <= 512) {
      // A platform client's tokens are those of every tenant's grant of it (each token stays in its tenant).
      const row = client
        ? await sql.one<{ tenant_id: string; family_id: string; kind: string }>(
            { manager },
            'SELECT tenant_id, family_id, kind FROM oauth_tokens WHERE token_hash = $1 AND tenant_id = $2 AND oauth_client_id = $3 AND revoked_at IS NULL',
            [hashToken(token), client.tenantId, client.id],
          )
        : await sql.one<{ tenant_id: string; family_id: string; kind: string }>(
            { manager },
            `SELECT t.tenant_id, t.family_id, t.kind FROM oauth_tokens t JOIN oauth_clients c ON c.tenant_id = t.tenant_id AND c.id = t.oauth_client_id
              WHERE t.token_hash = $1 AND c.platform_client_id = $2 AND t.revoked_at IS NULL`,
            [hashToken(token), platform!.id],
          );
      if (row?.kind === 'refresh') {
        await sql.affected({ manager }, 'UPDATE oauth_tokens SET revoked_at = now() WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL', [
          row.tenant_id,
          row.family_id,
        ]);
      } else if (row) {
        await sql.affected({ manager }, 'UPDATE oauth_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [hashToken(token)]);
      }
      forgetOAuthAuthentications();
    }
    return { status: 200, headers, body: {} };
  } catch (error) {
    const answer = answerError(error, options.requestId);
    if (error instanceof InvalidClientError && request.headers.authorization) answer.headers['WWW-Authenticate'] = 'Basic realm="rollcall"';
    return answer;
  }
}
