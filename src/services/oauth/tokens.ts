import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { auditService } from '../audit.service';
import * as sql from '../sql';
import { hashToken } from '../token.service';

/** Access tokens the token endpoint issues: accepted on SCIM only (src/http/auth.ts). */
export const OAUTH_ACCESS_TOKEN_PREFIX = 'rc_oauth_';
export const OAUTH_REFRESH_TOKEN_PREFIX = 'rc_refresh_';
/** The one scope: SCIM provisioning. */
export const OAUTH_SCOPE = 'scim';
/**
 * Refresh tokens (authorization-code clients, i.e. Okta) last 90 days from their last use: each refresh rotates it and
 * starts again, so a connection in use never expires, and an abandoned one does.
 */
export const REFRESH_TOKEN_LIFETIME_SECONDS = 90 * 24 * 60 * 60;

/**
 * Authentications of access tokens are cached briefly, like bearer tokens' (src/services/token.service.ts), but for
 * 5 s: a revocation (of the token's family, its secret, or its client) must be refused by every instance within 10 s
 * (issue 19), and a revocation in this process clears the cache at once.
 */
const OAUTH_AUTH_CACHE_MS = 5_000;
const NEGATIVE_AUTH_CACHE_MS = 2_000;
const AUTH_CACHE_ENTRIES = 10_000;
/** last_used_at of clients is refreshed at most this often, so authentication does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AuthenticatedOAuthToken {
  tokenId: string;
  tenantId: string;
  /** The OAuth client's database id and name: the actor of what the token does. */
  oauthClientId: string;
  clientName: string;
}

const authenticated = new Map<string, { token: AuthenticatedOAuthToken | null; expires: number }>();

/**
 * As tokenService's lastKnown: who each token hash last authenticated as in this process, ONLY to attribute the
 * provisioning-log entry of a request refused because the database is unavailable; never to authorise. Bounded, by
 * hash, and kept no longer than the token lives.
 */
const LAST_KNOWN_ENTRIES = 10_000;
const lastKnown = new Map<string, { tenantId: string; oauthClientId: string; until: number }>();

/** Forgets every cached authentication (a revocation in this process). */
export function forgetOAuthAuthentications(): void {
  authenticated.clear();
  // Not lastKnown: a revoked token's entry only attributes log entries, and a revoked token is refused by the database.
}

/** The tenant and client an access token last authenticated as in this process, or null (see lastKnown above). */
export function lastKnownOAuthToken(secret: string): { tenantId: string; tokenId: string } | null {
  if (!secret.startsWith(OAUTH_ACCESS_TOKEN_PREFIX) || secret.length > 512) return null;
  const entry = lastKnown.get(hashToken(secret));
  if (!entry || entry.until < Date.now()) return null;
  return { tenantId: entry.tenantId, tokenId: entry.oauthClientId };
}

export interface IssueInput {
  tenantId: string;
  oauthClientId: string;
  /** The grant as the request named it (`client_credentials`, `authorization_code`, `refresh_token`, jwt-bearer's URN). */
  grantType: string;
  /** The secret the grant authenticated with; null for an assertion. */
  secretId: string | null;
  /** The family of a rotated refresh token; a new family otherwise. */
  familyId?: string;
  authorizationId?: string | null;
  accessTokenLifetimeSeconds: number;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken?: string | null;
  refreshTokenExpiresAt?: Date | null;
}

export function newAccessToken(): string {
  return OAUTH_ACCESS_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newRefreshToken(): string {
  return OAUTH_REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The system as the actor of revocations the token endpoint makes on its own (replays). */
function systemContext(manager: EntityManager, tenantId: string) {
  return { tenantId, actor: { surface: 'system' as const, tokenId: null }, requestId: randomUUID(), manager };
}

/** Issued tokens: storage (hashed), authentication of access tokens, and the revocations of replays. */
export const oauthTokenService = {
  async issue(outer: EntityManager, input: IssueInput): Promise<void> {
    // The tokens and their audit row commit together: no token the audit log does not show.
    if (!outer.queryRunner?.isTransactionActive) return outer.transaction((tx) => this.issue(tx, input));
    const manager = outer;
    const familyId = input.familyId ?? randomUUID();
    const values: unknown[] = [input.tenantId, input.oauthClientId, familyId, input.secretId, input.authorizationId ?? null, OAUTH_SCOPE];
    const rows = [`($1, $2, 'access', $7, $3, $4, $5, $6, $8)`];
    values.push(hashToken(input.accessToken), input.accessTokenExpiresAt);
    if (input.refreshToken && input.refreshTokenExpiresAt) {
      rows.push(`($1, $2, 'refresh', $9, $3, $4, $5, $6, $10)`);
      values.push(hashToken(input.refreshToken), input.refreshTokenExpiresAt);
    }
    await sql.affected(
      { manager },
      `INSERT INTO oauth_tokens (tenant_id, oauth_client_id, kind, token_hash, family_id, secret_id, authorization_id, scope, expires_at)
       VALUES ${rows.join(', ')}`,
      values,
    );
    // Audited as every other credential event of a client: a leaked secret shows up as tokens nobody expected, when the
    // identity provider's own schedule (about one an hour) says when they should come. No token, no hash: only which
    // grant, which secret (by id, as `secret_added` names it) and until when.
    await auditService.record(systemContext(manager, input.tenantId), {
      action: 'oauth_client.token_issued',
      targetType: 'oauth_client',
      targetId: input.oauthClientId,
      changes: {
        grantType: { from: null, to: input.grantType },
        secretId: { from: null, to: input.secretId },
        accessTokenExpiresAt: { from: null, to: input.accessTokenExpiresAt.toISOString() },
        withRefreshToken: { from: null, to: Boolean(input.refreshToken && input.refreshTokenExpiresAt) },
      },
    });
  },

  /**
   * Resolves a presented access token (by its SHA-256; compared again in constant time). Null for unknown, revoked or
   * expired tokens, and for tokens of a deleted client (deleted with it).
   */
  async authenticate(manager: EntityManager, secret: string): Promise<AuthenticatedOAuthToken | null> {
    if (!secret.startsWith(OAUTH_ACCESS_TOKEN_PREFIX) || secret.length > 512) return null;
    const hash = hashToken(secret);
    const cached = authenticated.get(hash);
    if (cached && cached.expires > Date.now()) return cached.token;
    const row = await sql.one<{ id: string; tenant_id: string; oauth_client_id: string; token_hash: string; expires_at: Date; name: string; last_used_at: Date | null }>(
      { manager },
      `SELECT t.id, t.tenant_id, t.oauth_client_id, t.token_hash, t.expires_at, c.name, c.last_used_at
         FROM oauth_tokens t JOIN oauth_clients c ON c.tenant_id = t.tenant_id AND c.id = t.oauth_client_id
        WHERE t.token_hash = $1 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > now()`,
      [hash],
    );
    const token =
      row && timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))
        ? { tokenId: row.id, tenantId: row.tenant_id, oauthClientId: row.oauth_client_id, clientName: row.name }
        : null;
    if (row && token && (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS)) {
      await this.touchClient(manager, row.tenant_id, row.oauth_client_id);
    }
    const expires = Math.min(Date.now() + (token ? OAUTH_AUTH_CACHE_MS : NEGATIVE_AUTH_CACHE_MS), row?.expires_at.getTime() ?? Infinity);
    if (authenticated.size >= AUTH_CACHE_ENTRIES) authenticated.delete(authenticated.keys().next().value!);
    authenticated.set(hash, { token, expires });
    lastKnown.delete(hash);
    if (token && row) {
      if (lastKnown.size >= LAST_KNOWN_ENTRIES) lastKnown.delete(lastKnown.keys().next().value!);
      lastKnown.set(hash, { tenantId: token.tenantId, oauthClientId: token.oauthClientId, until: row.expires_at.getTime() });
    }
    return token;
  },

  async touchClient(manager: EntityManager, tenantId: string, oauthClientId: string): Promise<void> {
    await sql.affected({ manager }, 'UPDATE oauth_clients SET last_used_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, oauthClientId]);
  },

  /**
   * A rotated or revoked refresh token was presented again: someone holds a copy. Every token of its family is
   * revoked (OAuth 2.0 Security BCP §4.14.2), and the revocation audited.
   */
  async revokeFamily(manager: EntityManager, tenantId: string, familyId: string, oauthClientId: string): Promise<void> {
    await sql.affected({ manager }, 'UPDATE oauth_tokens SET revoked_at = now() WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL', [
      tenantId,
      familyId,
    ]);
    forgetOAuthAuthentications();
    await auditService.record(systemContext(manager, tenantId), {
      action: 'oauth_client.refresh_token_reused',
      targetType: 'oauth_client',
      targetId: oauthClientId,
    });
  },

  /** An authorization code was presented again: the tokens issued from it are revoked (RFC 6749 §4.1.2). */
  async revokeForAuthorization(manager: EntityManager, tenantId: string, authorizationId: string, oauthClientId: string): Promise<void> {
    await sql.affected(
      { manager },
      `UPDATE oauth_tokens SET revoked_at = now()
        WHERE tenant_id = $1 AND revoked_at IS NULL
          AND family_id IN (SELECT family_id FROM oauth_tokens WHERE tenant_id = $1 AND authorization_id = $2)`,
      [tenantId, authorizationId],
    );
    forgetOAuthAuthentications();
    await auditService.record(systemContext(manager, tenantId), {
      action: 'oauth_client.code_reused',
      targetType: 'oauth_client',
      targetId: oauthClientId,
    });
  },

  /** Deletes tokens and authorizations that ended more than a day ago (the purge of src/app.ts). */
  async purgeExpired(manager: EntityManager): Promise<void> {
    await sql.affected({ manager }, "DELETE FROM oauth_tokens WHERE expires_at < now() - interval '1 day'");
    await sql.affected({ manager }, "DELETE FROM oauth_authorizations WHERE expires_at < now() - interval '1 day'");
    await sql.affected({ manager }, "DELETE FROM oauth_platform_authorization_requests WHERE expires_at < now() - interval '1 day'");
  },
};
