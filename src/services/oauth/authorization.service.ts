import { randomBytes } from 'node:crypto';
import { EntityManager, IsNull, MoreThan } from 'typeorm';
import { OAuthAuthorization } from '../../entities/oauth-authorization.entity';
import { OAuthClient } from '../../entities/oauth-client.entity';
import { Tenant } from '../../entities/tenant.entity';
import { auditService } from '../audit.service';
import { RequestContext, inTransaction } from '../context';
import { DomainError, ErrorCode } from '../errors';
import * as sql from '../sql';
import { hashToken } from '../token.service';
import { isUuid } from '../validation';
import { oauthClientService } from './client.service';
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
    const client = params.client_id ? await oauthClientService.findByClientId(manager, params.client_id) : null;
    if (!client || !client.grantTypes.includes('AUTHORIZATION_CODE')) {
      return { kind: 'error-page', message: 'The application that sent you here is not known to Rollcall, or may not ask for access this way.' };
    }
    if (!params.redirect_uri || !client.redirectUris.includes(params.redirect_uri)) {
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
    if (challenge === null && !(await hasActiveSecret(manager, client))) {
      return back('invalid_request', 'code_challenge (S256) is required for this client.');
    }
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
    if (!row) return null;
    const client = await ctx.manager.findOneByOrFail(OAuthClient, { tenantId: ctx.tenantId, id: row.oauthClientId });
    const tenant = await ctx.manager.findOneByOrFail(Tenant, { id: ctx.tenantId });
    return { id: row.id, clientName: client.name, redirectUri: row.redirectUri, tenantName: tenant.name, scopes: [row.scope], expiresAt: row.expiresAt };
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
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, 'This authorization request does not exist, has expired or was already answered.', 'requestId');
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

async function hasActiveSecret(manager: EntityManager, client: OAuthClient): Promise<boolean> {
  const rows = await sql.rows(
    { manager },
    'SELECT 1 FROM oauth_client_secrets WHERE tenant_id = $1 AND oauth_client_id = $2 AND revoked_at IS NULL AND expires_at > now() LIMIT 1',
    [client.tenantId, client.id],
  );
  return rows.length > 0;
}
