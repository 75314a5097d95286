import { randomBytes } from 'node:crypto';
import { EntityManager, IsNull, MoreThan } from 'typeorm';
import { OAuthAuthorization } from '../../entities/oauth-authorization.entity';
import { OAuthClient } from '../../entities/oauth-client.entity';
import { OAuthPlatformAuthorizationRequest, OAuthPlatformClient } from '../../entities/oauth-platform-client.entity';
import { Tenant } from '../../entities/tenant.entity';
import { auditService } from '../audit.service';
import { RequestContext, inTransaction } from '../context';
import { DomainError, ErrorCode } from '../errors';
import * as sql from '../sql';
import { hashToken } from '../token.service';
import { isUuid } from '../validation';
import { oauthClientService } from './client.service';
import { oauthPlatformClientService } from './platform-client.service';
import { OAUTH_SCOPE } from './tokens';

/** How long the consent page may wait for an admin. */
export const AUTHORIZATION_REQUEST_TTL_MS = 10 * 60_000;
/** Codes are exchanged by the identity provider right after the redirect; RFC 6749 §4.1.2 says at most 10 minutes. */
export const AUTHORIZATION_CODE_TTL_MS = 2 * 60_000;
/** RFC 7636 §4.2: base64url of a SHA-256, 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE_LENGTH = 1000;

export interface AuthorizeParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  scope?: string;
}

/**
 * What GET /oauth/authorize answers: an error page when the client or the redirect URI cannot be trusted (never a
 * redirect to an unverified address, RFC 6749 §4.1.2.1), an error sent back to the registered redirect URI, or the
 * consent page of the stored request.
 */
export type AuthorizeOutcome =
  | { kind: 'error-page'; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'consent'; requestId: string };

export interface PendingAuthorization {
  id: string;
  clientName: string;
  redirectUri: string;
  tenantName: string;
  scopes: string[];
  expiresAt: Date;
  /** A deployment-wide client (docs/oauth.md "Platform clients"): approving grants it this tenant only. */
  platform: boolean;
}

/** The redirect URI with the response parameters added to its query (RFC 6749 §4.1.2). */
export function redirectWith(redirectUri: string, params: Record<string, string | null | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** The authorization-code flow's requests and codes (docs/oauth.md "Authorization code"). */
export const oauthAuthorizationService = {
  async start(manager: EntityManager, params: AuthorizeParams): Promise<AuthorizeOutcome> {
    const own = params.client_id ? await oauthClientService.findByClientId(manager, params.client_id) : null;
    // A platform client (one for every tenant, Okta's integration network) when no tenant's client has the id.
    const platform = !own && params.client_id ? await oauthPlatformClientService.findByClientId(manager, params.client_id) : null;
    const asked: Pick<OAuthClient, 'grantTypes' | 'redirectUris'> | null = own ?? (platform ? { grantTypes: ['AUTHORIZATION_CODE'], redirectUris: platform.redirectUris } : null);
    if (!asked || !asked.grantTypes.includes('AUTHORIZATION_CODE')) {
      return { kind: 'error-page', message: 'The application that sent you here is not known to Rollcall, or may not ask for access this way.' };
    }
    if (!params.redirect_uri || !asked.redirectUris.includes(params.redirect_uri)) {
      return { kind: 'error-page', message: 'The application that sent you here gave a return address that is not registered for it in Rollcall.' };
    }
    const state = params.state ?? null;
    const back = (error: string, description: string): AuthorizeOutcome => ({
      kind: 'redirect',
      location: redirectWith(params.redirect_uri!, { error, error_description: description, state }),
    });
    if (state !== null && state.length > MAX_STATE_LENGTH) return back('invalid_request', 'state is too long.');
    if (params.response_type !== 'code') return back('unsupported_response_type', 'Only response_type=code is supported.');
    // Any scope asked for is narrowed to SCIM access, the only one there is (see the token endpoint's validateScope).
    const challenge = params.code_challenge ?? null;
    const method = params.code_challenge_method ?? (challenge !== null ? 'plain' : null);
    if (challenge !== null && (method !== 'S256' || !S256_CHALLENGE.test(challenge))) {
      return back('invalid_request', 'code_challenge must be an S256 challenge (code_challenge_method=S256).');
    }
    if (challenge === null && params.code_challenge_method !== undefined) return back('invalid_request', 'code_challenge_method without code_challenge.');
    // Okta's SCIM OAuth sends no PKCE and authenticates with the client secret at the token endpoint. A client without
    // a secret has nothing else to bind the code to its exchange: it must use PKCE (RFC 9700 §2.1.1).
    const secret = own ? await hasActiveSecret(manager, own) : await oauthPlatformClientService.hasActiveSecret(manager, platform!);
    if (challenge === null && !secret) {
      return back('invalid_request', 'code_challenge (S256) is required for this client.');
    }
    if (platform) {
      // No tenant yet: the admin who approves chooses it (their own), so the request is stored outside every tenant.
      const pending = await manager.save(
        manager.create(OAuthPlatformAuthorizationRequest, {
          platformClientId: platform.id,
          redirectUri: params.redirect_uri,
          state,
          codeChallenge: challenge,
          codeChallengeMethod: challenge !== null ? 'S256' : null,
          scope: OAUTH_SCOPE,
          expiresAt: new Date(Date.now() + AUTHORIZATION_REQUEST_TTL_MS),
        }),
      );
      return { kind: 'consent', requestId: pending.id };
    }
    const client = own!;
    const row = await manager.save(
      manager.create(OAuthAuthorization, {
        tenantId: client.tenantId,
        oauthClientId: client.id,
        redirectUri: params.redirect_uri,
        state,
        codeChallenge: challenge,
        codeChallengeMethod: challenge !== null ? 'S256' : null,
        scope: OAUTH_SCOPE,
        expiresAt: new Date(Date.now() + AUTHORIZATION_REQUEST_TTL_MS),
      }),
    );
    return { kind: 'consent', requestId: row.id };
  },

  /** A pending request of the caller's tenant, for the consent page; null when unknown, decided, expired or another tenant's. */
  async pending(ctx: RequestContext, id: string): Promise<PendingAuthorization | null> {
    if (!isUuid(id)) return null;
    const row = await ctx.manager.findOneBy(OAuthAuthorization, { tenantId: ctx.tenantId, id, decidedAt: IsNull(), expiresAt: MoreThan(new Date()) });
    const tenant = async () => (await ctx.manager.findOneByOrFail(Tenant, { id: ctx.tenantId })).name;
    if (!row) {
      // A platform client's request is any tenant's to answer: the approving admin's tenant is the one it gets.
      const pending = await ctx.manager.findOneBy(OAuthPlatformAuthorizationRequest, { id, decidedAt: IsNull(), expiresAt: MoreThan(new Date()) });
      if (!pending) return null;
      const platform = await ctx.manager.findOneByOrFail(OAuthPlatformClient, { id: pending.platformClientId });
      return {
        id: pending.id,
        clientName: platform.name,
        redirectUri: pending.redirectUri,
        tenantName: await tenant(),
        scopes: [pending.scope],
        expiresAt: pending.expiresAt,
        platform: true,
      };
    }
    const client = await ctx.manager.findOneByOrFail(OAuthClient, { tenantId: ctx.tenantId, id: row.oauthClientId });
    return { id: row.id, clientName: client.name, redirectUri: row.redirectUri, tenantName: await tenant(), scopes: [row.scope], expiresAt: row.expiresAt, platform: false };
  },

  /**
   * An admin's decision. Approval makes the code (single use, AUTHORIZATION_CODE_TTL_MS); either way the answer is
   * where to send the browser: the registered redirect URI with `code` or `error=access_denied`, and `state`.
   */
  async decide(ctx: RequestContext, id: string, approve: boolean): Promise<{ redirectTo: string }> {
    return inTransaction(ctx, async (tx) => {
      const row = isUuid(id)
        ? await tx.manager.findOne(OAuthAuthorization, {
            where: { tenantId: tx.tenantId, id, decidedAt: IsNull(), expiresAt: MoreThan(new Date()) },
            lock: { mode: 'pessimistic_write' },
          })
        : null;
      if (!row) {
        const platformRequest = isUuid(id)
          ? await tx.manager.findOne(OAuthPlatformAuthorizationRequest, {
              where: { id, decidedAt: IsNull(), expiresAt: MoreThan(new Date()) },
              lock: { mode: 'pessimistic_write' },
            })
          : null;
        if (platformRequest) return decidePlatform(tx, platformRequest, approve);
        throw new DomainError(ErrorCode.NOT_FOUND, 'This authorization request does not exist, has expired or was already answered.', 'requestId');
      }
      const now = new Date();
      if (!approve) {
        await tx.manager.update(OAuthAuthorization, { tenantId: tx.tenantId, id: row.id }, { decidedAt: now });
        await auditService.record(tx, { action: 'oauth_client.authorization_denied', targetType: 'oauth_client', targetId: row.oauthClientId });
        return { redirectTo: redirectWith(row.redirectUri, { error: 'access_denied', state: row.state }) };
      }
      const code = randomBytes(32).toString('base64url');
      await tx.manager.update(
        OAuthAuthorization,
        { tenantId: tx.tenantId, id: row.id },
        { decidedAt: now, codeHash: hashToken(code), expiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_MS) },
      );
      await auditService.record(tx, { action: 'oauth_client.authorization_approved', targetType: 'oauth_client', targetId: row.oauthClientId });
      return { redirectTo: redirectWith(row.redirectUri, { code, state: row.state }) };
    });
  },

  /** The approved authorization a code names, in whichever tenant (the token endpoint has no tenant yet). */
  async byCode(manager: EntityManager, code: string): Promise<OAuthAuthorization | null> {
    if (code.length > 200) return null;
    return manager.findOneBy(OAuthAuthorization, { codeHash: hashToken(code) });
  },

  /** Marks the code used; false when another exchange used it first (the one exchange that may, RFC 6749 §4.1.2). */
  async consume(manager: EntityManager, authorization: OAuthAuthorization): Promise<boolean> {
    const n = await sql.affected({ manager }, 'UPDATE oauth_authorizations SET code_used_at = now() WHERE tenant_id = $1 AND id = $2 AND code_used_at IS NULL', [
      authorization.tenantId,
      authorization.id,
    ]);
    return n === 1;
  },
};

/**
 * The decision of a platform client's request by an admin of `tx`'s tenant (docs/oauth.md "Platform clients"). The
 * request is decided once, whoever answers first. Approval makes (or reuses) the tenant's grant of the platform
 * client, and the code in the tenant, bound to that grant: what the code gives belongs to this tenant only.
 */
async function decidePlatform(tx: RequestContext, request: OAuthPlatformAuthorizationRequest, approve: boolean): Promise<{ redirectTo: string }> {
  const now = new Date();
  await tx.manager.update(OAuthPlatformAuthorizationRequest, { id: request.id }, { decidedAt: now });
  const platform = await tx.manager.findOneByOrFail(OAuthPlatformClient, { id: request.platformClientId });
  const platformChange = { platformClient: { from: null, to: { clientId: platform.clientId, name: platform.name } } };
  let grant = await tx.manager.findOne(OAuthClient, { where: { tenantId: tx.tenantId, platformClientId: platform.id }, lock: { mode: 'pessimistic_write' } });
  if (!approve) {
    await auditService.record(tx, { action: 'oauth_client.authorization_denied', targetType: 'oauth_client', targetId: grant?.id ?? null, changes: platformChange });
    return { redirectTo: redirectWith(request.redirectUri, { error: 'access_denied', state: request.state }) };
  }
  if (!grant) {
    // Two admins of one tenant approving two requests at once: the second insert waits for the first (unique index)
    // and then finds nothing to do; the grant is read again below.
    await sql.affected(
      tx,
      `INSERT INTO oauth_clients (tenant_id, client_id, name, grant_types, redirect_uris, platform_client_id)
       VALUES ($1, $2, $3, ARRAY['AUTHORIZATION_CODE'], '{}', $4) ON CONFLICT (platform_client_id, tenant_id) DO NOTHING`,
      [tx.tenantId, platform.clientId, platform.name, platform.id],
    );
    grant = await tx.manager.findOneOrFail(OAuthClient, { where: { tenantId: tx.tenantId, platformClientId: platform.id }, lock: { mode: 'pessimistic_write' } });
  }
  const code = randomBytes(32).toString('base64url');
  await tx.manager.save(
    tx.manager.create(OAuthAuthorization, {
      tenantId: tx.tenantId,
      oauthClientId: grant.id,
      redirectUri: request.redirectUri,
      state: request.state,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      scope: request.scope,
      decidedAt: now,
      codeHash: hashToken(code),
      expiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_MS),
    }),
  );
  await auditService.record(tx, { action: 'oauth_client.authorization_approved', targetType: 'oauth_client', targetId: grant.id, changes: platformChange });
  return { redirectTo: redirectWith(request.redirectUri, { code, state: request.state }) };
}

async function hasActiveSecret(manager: EntityManager, client: OAuthClient): Promise<boolean> {
  const rows = await sql.rows(
    { manager },
    'SELECT 1 FROM oauth_client_secrets WHERE tenant_id = $1 AND oauth_client_id = $2 AND revoked_at IS NULL AND expires_at > now() LIMIT 1',
    [client.tenantId, client.id],
  );
  return rows.length > 0;
}
