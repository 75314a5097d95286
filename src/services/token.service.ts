import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AccessToken } from '../entities';
import { TOKEN_SCOPES, TokenScope } from '../entities/enums';
import { auditService } from './audit.service';
import { RequestContext, inTransaction } from './context';
import { DomainError, ErrorCode } from './errors';
import { KEYSET_TIME } from './keyset';
import * as sql from './sql';
import { isUuid, textProblem } from './validation';

/** Readable start of every generated secret, per scope, so a leaked token is recognisable (and greppable). */
export const TOKEN_PREFIX: Record<TokenScope, string> = { scim: 'rc_scim_', admin: 'rc_admin_', read: 'rc_read_' };
/** Random characters of the secret shown after the scope prefix, to tell tokens apart in lists. */
const VISIBLE_RANDOM_CHARS = 6;
/** Generated secrets carry 256 bits of randomness. */
const SECRET_BYTES = 32;
/** `last_used_at` is refreshed at most this often, so authentication does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Authentications are cached briefly so that a request costs no token lookup: one SQL statement less on every SCIM
 * and GraphQL call. A revocation takes effect at once in the process that revokes (the cache is cleared) and within
 * AUTH_CACHE_MS in other instances.
 */
const AUTH_CACHE_MS = 10_000;
/** Unknown secrets are remembered for less long, so a token created elsewhere works almost at once. */
const NEGATIVE_AUTH_CACHE_MS = 2_000;
const AUTH_CACHE_ENTRIES = 10_000;
const authenticated = new Map<string, { token: AuthenticatedToken | null; expires: number }>();

/**
 * The tenant and token of each token hash's last successful authentication in this process, kept far longer than the
 * cache above. Used ONLY to attribute a provisioning-log entry when the database cannot be asked (a 503 during an
 * outage, once the cache entry has expired); never to authorise anything. Keyed by the SHA-256 hash, never the secret;
 * bounded (oldest use dropped first); forgotten when the token is revoked in this process or found invalid.
 */
const LAST_KNOWN_MS = 24 * 60 * 60_000;
const LAST_KNOWN_ENTRIES = 10_000;
const lastKnown = new Map<string, { tokenId: string; tenantId: string; seen: number }>();

function rememberLastKnown(hash: string, token: AuthenticatedToken): void {
  // Re-inserted so that the Map's order is the order of last use, and eviction drops the least recently used.
  lastKnown.delete(hash);
  if (lastKnown.size >= LAST_KNOWN_ENTRIES) lastKnown.delete(lastKnown.keys().next().value!);
  lastKnown.set(hash, { tokenId: token.tokenId, tenantId: token.tenantId, seen: Date.now() });
}

function forgetLastKnown(tokenId: string): void {
  for (const [hash, entry] of lastKnown) if (entry.tokenId === tokenId) lastKnown.delete(hash);
}

export interface AuthenticatedToken {
  tokenId: string;
  tenantId: string;
  scope: TokenScope;
}

export interface CreatedToken {
  token: AccessToken;
  /** The secret, shown this once: only its hash is stored. */
  secret: string;
}

/** Where a token sits in the newest-first list: its creation time at full precision, then its id. */
export interface TokenPosition {
  createdAt: string;
  id: string;
}

/** Every request hashes its token: the one-shot form, without a Hash object per call (a third of the time). */
export function hashToken(secret: string): string {
  return hash('sha256', secret, 'hex');
}

function isScope(value: string): value is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(value);
}

export const tokenService = {
  async create(ctx: RequestContext, input: { name: string; scope: string; expiresAt?: Date | null }): Promise<CreatedToken> {
    if (!isScope(input.scope)) {
      throw new DomainError(ErrorCode.INVALID_VALUE, `scope must be one of ${TOKEN_SCOPES.join(', ')}, got "${input.scope}".`, 'scope');
    }
    const name = input.name.trim();
    if (name === '' || textProblem(name, { max: 100 })) {
      throw new DomainError(ErrorCode.INVALID_VALUE, 'name must be 1 to 100 characters without control characters.', 'name');
    }
    if (input.expiresAt && !(input.expiresAt.getTime() > Date.now())) {
      throw new DomainError(ErrorCode.INVALID_VALUE, 'expiresAt must be in the future.', 'expiresAt');
    }
    const secret = TOKEN_PREFIX[input.scope] + randomBytes(SECRET_BYTES).toString('base64url');
    return this.store(ctx, { name, scope: input.scope, secret, expiresAt: input.expiresAt ?? null });
  },

  /**
   * Makes sure `secret` is a valid token of this tenant and scope (start-up bootstrap, idempotent). A secret already
   * registered to another tenant is refused rather than moved.
   */
  async ensure(ctx: RequestContext, input: { name: string; scope: TokenScope; secret: string }): Promise<AccessToken> {
    const existing = await ctx.manager.findOneBy(AccessToken, { tokenHash: hashToken(input.secret) });
    if (existing) {
      if (existing.tenantId !== ctx.tenantId || existing.scope !== input.scope) {
        throw new DomainError(
          ErrorCode.UNIQUENESS,
          `The bootstrap ${input.scope} token is already registered for another tenant or scope; choose a different secret.`,
          'secret',
        );
      }
      if (existing.revokedAt !== null || (existing.expiresAt !== null && existing.expiresAt <= new Date())) {
        await ctx.manager.update(
          AccessToken,
          { tenantId: existing.tenantId, id: existing.id },
          { revokedAt: null, expiresAt: null },
        );
        await auditService.record(ctx, { action: 'token.restored', targetType: 'access_token', targetId: existing.id });
      }
      return existing;
    }
    return (await this.store(ctx, { ...input, expiresAt: null })).token;
  },

  async store(
    ctx: RequestContext,
    input: { name: string; scope: TokenScope; secret: string; expiresAt: Date | null },
  ): Promise<CreatedToken> {
    const visible = input.secret.startsWith(TOKEN_PREFIX[input.scope])
      ? input.secret.slice(0, TOKEN_PREFIX[input.scope].length + VISIBLE_RANDOM_CHARS)
      : input.secret.slice(0, VISIBLE_RANDOM_CHARS);
    // The token and its audit row commit together.
    return inTransaction(ctx, async (tx) => {
      const token = await tx.manager.save(
        tx.manager.create(AccessToken, {
          tenantId: tx.tenantId,
          name: input.name,
          scope: input.scope,
          tokenHash: hashToken(input.secret),
          prefix: visible,
          expiresAt: input.expiresAt,
        }),
      );
      await auditService.record(tx, {
        action: 'token.created',
        targetType: 'access_token',
        targetId: token.id,
        changes: { name: { from: null, to: token.name }, scope: { from: null, to: token.scope } },
      });
      return { token, secret: input.secret };
    });
  },

  /** Tenants having a token with this visible prefix or id (the CLI revokes by prefix without naming the tenant). */
  async tenantsOf(manager: EntityManager, ref: string): Promise<string[]> {
    const rows = await sql.rows<{ tenant_id: string }>({ manager }, 'SELECT DISTINCT tenant_id FROM access_tokens WHERE prefix = $1 OR id::text = $1', [
      ref,
    ]);
    return rows.map((r) => r.tenant_id);
  },

  async list(ctx: RequestContext): Promise<AccessToken[]> {
    return ctx.manager.find(AccessToken, { where: { tenantId: ctx.tenantId }, order: { createdAt: 'ASC' } });
  },

  /** One of the tenant's tokens by id, or null (another tenant's token is indistinguishable from an unknown one). */
  async get(ctx: RequestContext, id: string): Promise<AccessToken | null> {
    if (!isUuid(id)) return null;
    return ctx.manager.findOneBy(AccessToken, { tenantId: ctx.tenantId, id });
  },

  /**
   * The tenant's tokens, newest first, with the exact total. Keyset paging on (created_at, id); `positions[i]` is
   * where `tokens[i]` sits, to pass back as `after`.
   */
  async page(
    ctx: RequestContext,
    options: { first: number; after?: TokenPosition },
  ): Promise<{ tokens: AccessToken[]; positions: TokenPosition[]; hasNextPage: boolean; totalCount: number }> {
    const qb = ctx.manager.createQueryBuilder(AccessToken, 't').where('t.tenant_id = :tenantId', { tenantId: ctx.tenantId });
    const totalCount = await qb.clone().getCount();
    if (options.after) {
      qb.andWhere(`(t.created_at, t.id) < (:afterTime${KEYSET_TIME.cast}, :afterId::uuid)`, {
        afterTime: options.after.createdAt,
        afterId: options.after.id,
      });
    }
    const { entities, raw } = await qb
      .addSelect(KEYSET_TIME.text('t.created_at'), 'position_time')
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .take(options.first + 1)
      .getRawAndEntities<{ t_id: string; position_time: string }>();
    const times = new Map(raw.map((r) => [r.t_id, r.position_time]));
    const tokens = entities.slice(0, options.first);
    return {
      tokens,
      positions: tokens.map((t) => ({ createdAt: times.get(t.id)!, id: t.id })),
      hasNextPage: entities.length > options.first,
      totalCount,
    };
  },

  /**
   * Revokes one of the tenant's tokens by id (idempotent: an already revoked token is returned as it is). The token
   * the caller authenticated with may be revoked too; it stops working from the next request.
   */
  async revokeById(ctx: RequestContext, id: string): Promise<AccessToken> {
    return inTransaction(ctx, async (tx) => {
      const token = isUuid(id)
        ? await tx.manager.findOne(AccessToken, {
            where: { tenantId: tx.tenantId, id },
            lock: { mode: 'pessimistic_write' },
          })
        : null;
      if (!token) throw new DomainError(ErrorCode.NOT_FOUND, `No access token with id "${id}" exists in this tenant.`, 'id');
      if (token.revokedAt !== null) return token;
      token.revokedAt = new Date();
      authenticated.clear();
      forgetLastKnown(token.id);
      await tx.manager.update(AccessToken, { tenantId: token.tenantId, id: token.id }, { revokedAt: token.revokedAt });
      await auditService.record(tx, {
        action: 'token.revoked',
        targetType: 'access_token',
        targetId: token.id,
        changes: { revokedAt: { from: null, to: token.revokedAt.toISOString() } },
      });
      return token;
    });
  },

  /** Revokes the tenant's tokens whose visible prefix or id is `ref`; refuses an ambiguous prefix. */
  async revoke(ctx: RequestContext, ref: string): Promise<AccessToken> {
    return inTransaction(ctx, (tx) => this.revokeIn(tx, ref));
  },

  /** The tenant's tokens whose visible prefix or id is `ref` (normally one; bootstrap secrets may share a prefix). */
  async matching(ctx: RequestContext, ref: string): Promise<AccessToken[]> {
    return (await this.list(ctx)).filter((t) => t.id === ref || t.prefix === ref);
  },

  async revokeIn(ctx: RequestContext, ref: string): Promise<AccessToken> {
    const matches = await this.matching(ctx, ref);
    if (matches.length === 0) throw new DomainError(ErrorCode.NOT_FOUND, `No token "${ref}" in this tenant.`, 'prefix');
    if (matches.length > 1) {
      throw new DomainError(ErrorCode.INVALID_VALUE, `"${ref}" matches ${matches.length} tokens; revoke by id instead.`, 'prefix');
    }
    const token = matches[0];
    if (token.revokedAt === null) {
      token.revokedAt = new Date();
      authenticated.clear();
      forgetLastKnown(token.id);
      await ctx.manager.update(AccessToken, { tenantId: token.tenantId, id: token.id }, { revokedAt: token.revokedAt });
      await auditService.record(ctx, { action: 'token.revoked', targetType: 'access_token', targetId: token.id });
    }
    return token;
  },

  /**
   * Resolves a presented secret to its token. The lookup is by SHA-256 hash (the secret itself is never stored or
   * compared), and the stored hash is checked again in constant time. Returns null for unknown, revoked or expired.
   */
  async authenticate(manager: EntityManager, secret: string): Promise<AuthenticatedToken | null> {
    if (secret.length < 16 || secret.length > 512) return null;
    const hash = hashToken(secret);
    const cached = authenticated.get(hash);
    if (cached && cached.expires > Date.now()) return cached.token;
    const row = await sql.one<{ id: string; tenant_id: string; scope: TokenScope; token_hash: string; last_used_at: Date | null; expires_at: Date | null }>(
      { manager },
      `SELECT id, tenant_id, scope, token_hash, last_used_at, expires_at FROM access_tokens
        WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [hash],
    );
    const token = row && timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))
      ? { tokenId: row.id, tenantId: row.tenant_id, scope: row.scope }
      : null;
    if (row && token && (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS)) {
      // By the unique hash, the one index that holds it: by (tenant_id, id), PostgreSQL without statistics took the
      // (tenant_id, prefix) index and filtered the tenant's tokens (test/query-plans.test.ts).
      await sql.affected({ manager }, 'UPDATE access_tokens SET last_used_at = now() WHERE token_hash = $1', [hash]);
    }
    // Never cache past the token's own expiry.
    const expires = Math.min(Date.now() + (token ? AUTH_CACHE_MS : NEGATIVE_AUTH_CACHE_MS), row?.expires_at?.getTime() ?? Infinity);
    if (authenticated.size >= AUTH_CACHE_ENTRIES) authenticated.delete(authenticated.keys().next().value!);
    authenticated.set(hash, { token, expires });
    if (token) rememberLastKnown(hash, token);
    else lastKnown.delete(hash);
    return token;
  },

  /**
   * Who last authenticated with this secret in this process (within 24 h), for attributing the provisioning-log entry
   * of a request refused because the database is unavailable. Not an authentication: the token may have been revoked
   * in another process since. Null for a secret this process has not seen succeed.
   */
  lastKnown(secret: string): { tokenId: string; tenantId: string } | null {
    if (secret.length < 16 || secret.length > 512) return null;
    const hash = hashToken(secret);
    const entry = lastKnown.get(hash);
    if (!entry) return null;
    if (Date.now() - entry.seen > LAST_KNOWN_MS) {
      lastKnown.delete(hash);
      return null;
    }
    return { tokenId: entry.tokenId, tenantId: entry.tenantId };
  },

  /** Forgets every cached authentication (called when a token is revoked in this process). */
  forgetAuthentications(): void {
    authenticated.clear();
  },
};

