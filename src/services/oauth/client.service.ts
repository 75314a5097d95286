import { randomBytes } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import { OAUTH_GRANT_TYPES, OAuthClient, OAuthClientSecret, OAuthFederation, OAuthGrantType } from '../../entities/oauth-client.entity';
import { auditService } from '../audit.service';
import { RequestContext, inTransaction } from '../context';
import { DomainError, ErrorCode, IssueCollector } from '../errors';
import { hashToken } from '../token.service';
import { isUuid, textProblem } from '../validation';
import { FederationInput, normalizeFederation, validateFederation } from './federation';
import { forgetOAuthAuthentications } from './tokens';

/** The public client id: readable and greppable, like the tokens' prefixes. */
export const CLIENT_ID_PREFIX = 'rc_client_';
export const CLIENT_SECRET_PREFIX = 'rc_secret_';
/** Random characters of a secret shown after its prefix, to tell secrets apart in lists. */
const VISIBLE_RANDOM_CHARS = 6;
/** Microsoft's gallery rules: client secrets valid at most 3 years. */
export const MAX_SECRET_LIFETIME_MS = 3 * 366 * 24 * 60 * 60_000;
/** A secret made without an expiry (on creation) lasts two years: inside Microsoft's one-to-three-year window. */
export const DEFAULT_SECRET_LIFETIME_MS = 2 * 365 * 24 * 60 * 60_000;
/** Enough for a rotation with some slack (old, new, and one spare); a tenant needs few connections. */
export const MAX_ACTIVE_SECRETS = 5;
export const MAX_OAUTH_CLIENTS = 50;
export const MAX_REDIRECT_URIS = 10;
const MAX_URL_LENGTH = 2000;

export interface OAuthClientInput {
  name: string;
  grantTypes: readonly string[];
  redirectUris?: readonly string[] | null;
  /** `audience` defaults to the token URL: the surface fills it in (the service does not know the public address). */
  federation?: FederationInput | null;
}

export interface OAuthClientWithSecret {
  client: OAuthClient;
  /** Shown once; null for a client that authenticates by assertion only (JWT_BEARER alone). */
  clientSecret: string | null;
}

function notFound(id: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No OAuth client with id "${id}" exists.`, 'id');
}

/** An exact redirect URI (RFC 6749 §3.1.2): absolute, https (http only to this machine, for tests and tools), no fragment. */
export function redirectUriProblem(value: string): string | undefined {
  if (value.length > MAX_URL_LENGTH || textProblem(value, { max: MAX_URL_LENGTH })) return 'is too long or holds control characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.hash !== '' || value.includes('#')) return 'must not have a fragment (#…)';
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'must use https://';
  return undefined;
}

function checkInput(input: OAuthClientInput): { name: string; grantTypes: OAuthGrantType[]; redirectUris: string[]; federation: OAuthFederation | null } {
  const issues = new IssueCollector();
  const name = input.name.trim();
  if (name === '' || textProblem(name, { max: 100 })) issues.add(ErrorCode.INVALID_VALUE, 'name must be 1 to 100 characters without control characters.', 'name');
  const unknown = input.grantTypes.filter((g) => !(OAUTH_GRANT_TYPES as readonly string[]).includes(g));
  if (unknown.length > 0) issues.add(ErrorCode.INVALID_VALUE, `grantTypes: unknown grant type ${unknown.map((g) => `"${g}"`).join(', ')}.`, 'grantTypes');
  if (input.grantTypes.length === 0) issues.add(ErrorCode.REQUIRED, `grantTypes must name at least one of ${OAUTH_GRANT_TYPES.join(', ')}.`, 'grantTypes');
  const grantTypes = OAUTH_GRANT_TYPES.filter((g) => input.grantTypes.includes(g));
  const redirectUris = [...new Set((input.redirectUris ?? []).map((u) => u.trim()))];
  if (grantTypes.includes('AUTHORIZATION_CODE')) {
    if (redirectUris.length === 0) issues.add(ErrorCode.REQUIRED, 'redirectUris: AUTHORIZATION_CODE needs at least one redirect URI.', 'redirectUris');
    if (redirectUris.length > MAX_REDIRECT_URIS) issues.add(ErrorCode.INVALID_VALUE, `redirectUris: at most ${MAX_REDIRECT_URIS}.`, 'redirectUris');
    for (const uri of redirectUris) {
      const problem = redirectUriProblem(uri);
      if (problem) issues.add(ErrorCode.INVALID_VALUE, `redirectUris: "${uri.slice(0, 100)}" ${problem}.`, 'redirectUris');
    }
  } else if (redirectUris.length > 0) {
    issues.add(ErrorCode.INVALID_VALUE, 'redirectUris apply to AUTHORIZATION_CODE clients only.', 'redirectUris');
  }
  let federation: OAuthFederation | null = null;
  if (grantTypes.includes('JWT_BEARER')) {
    if (!input.federation) issues.add(ErrorCode.REQUIRED, 'federation: JWT_BEARER needs the issuer, subject and keys of the assertions.', 'federation');
    else {
      const problems = validateFederation(input.federation);
      for (const p of problems) issues.add(p.code, p.message, p.field);
      if (problems.length === 0) federation = normalizeFederation(input.federation) as OAuthFederation;
    }
  } else if (input.federation) {
    issues.add(ErrorCode.INVALID_VALUE, 'federation applies to JWT_BEARER clients only.', 'federation');
  }
  issues.throwIfAny();
  return { name, grantTypes, redirectUris, federation };
}

export function newSecret(): { secret: string; prefix: string } {
  const secret = CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, prefix: secret.slice(0, CLIENT_SECRET_PREFIX.length + VISIBLE_RANDOM_CHARS) };
}

/** Whether a client authenticates with secrets: any grant but a federation-only one. */
export function usesSecrets(grantTypes: readonly OAuthGrantType[]): boolean {
  return grantTypes.some((g) => g !== 'JWT_BEARER');
}

export function checkExpiry(expiresAt: Date | null | undefined, now: Date): Date {
  if (expiresAt === null || expiresAt === undefined) return new Date(now.getTime() + DEFAULT_SECRET_LIFETIME_MS);
  if (!(expiresAt.getTime() > now.getTime())) throw new DomainError(ErrorCode.INVALID_VALUE, 'expiresAt must be in the future.', 'expiresAt');
  if (expiresAt.getTime() > now.getTime() + MAX_SECRET_LIFETIME_MS) {
    throw new DomainError(ErrorCode.INVALID_VALUE, 'expiresAt must be at most 3 years from now.', 'expiresAt');
  }
  return expiresAt;
}

/** The OAuth clients ("connections") of a tenant and their secrets (issue 19, docs/oauth.md). */
export const oauthClientService = {
  async create(ctx: RequestContext, input: OAuthClientInput): Promise<OAuthClientWithSecret> {
    const checked = checkInput(input);
    return inTransaction(ctx, async (tx) => {
      const count = await tx.manager.countBy(OAuthClient, { tenantId: tx.tenantId, platformClientId: IsNull() });
      if (count >= MAX_OAUTH_CLIENTS) {
        throw new DomainError(ErrorCode.INVALID_VALUE, `A tenant has at most ${MAX_OAUTH_CLIENTS} OAuth clients; delete one first.`);
      }
      const client = await tx.manager.save(
        tx.manager.create(OAuthClient, {
          tenantId: tx.tenantId,
          clientId: CLIENT_ID_PREFIX + randomBytes(12).toString('hex'),
          name: checked.name,
          grantTypes: checked.grantTypes,
          redirectUris: checked.redirectUris,
          federation: checked.federation,
        }),
      );
      await auditService.record(tx, {
        action: 'oauth_client.created',
        targetType: 'oauth_client',
        targetId: client.id,
        changes: {
          name: { from: null, to: client.name },
          clientId: { from: null, to: client.clientId },
          grantTypes: { from: null, to: client.grantTypes },
          redirectUris: { from: null, to: client.redirectUris },
          federation: { from: null, to: client.federation ? { ...client.federation, jwks: client.federation.jwks ? '(inline keys)' : null } : null },
        },
      });
      let clientSecret: string | null = null;
      if (usesSecrets(client.grantTypes)) clientSecret = await this.storeSecret(tx, client, null);
      return { client, clientSecret };
    });
  },

  /** Stores a new secret of `client` (inside the caller's transaction) and audits it; answers the secret. */
  async storeSecret(tx: RequestContext, client: OAuthClient, expiresAt: Date | null): Promise<string> {
    const expires = checkExpiry(expiresAt, new Date());
    const { secret, prefix } = newSecret();
    const row = await tx.manager.save(
      tx.manager.create(OAuthClientSecret, { tenantId: tx.tenantId, oauthClientId: client.id, secretHash: hashToken(secret), prefix, expiresAt: expires }),
    );
    await auditService.record(tx, {
      action: 'oauth_client.secret_added',
      targetType: 'oauth_client',
      targetId: client.id,
      changes: { secret: { from: null, to: { id: row.id, prefix, expiresAt: expires.toISOString() } } },
    });
    return secret;
  },

  async get(ctx: RequestContext, id: string): Promise<OAuthClient | null> {
    if (!isUuid(id)) return null;
    return ctx.manager.findOneBy(OAuthClient, { tenantId: ctx.tenantId, id });
  },

  async list(ctx: RequestContext): Promise<OAuthClient[]> {
    return ctx.manager.find(OAuthClient, { where: { tenantId: ctx.tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  },

  /** The client's secrets that were not revoked (expired ones included, so an admin sees them lapse), oldest first. */
  async secrets(ctx: RequestContext, clientIds: readonly string[]): Promise<OAuthClientSecret[]> {
    if (clientIds.length === 0) return [];
    return ctx.manager
      .createQueryBuilder(OAuthClientSecret, 's')
      .where('s.tenant_id = :tenantId AND s.oauth_client_id IN (:...ids) AND s.revoked_at IS NULL', { tenantId: ctx.tenantId, ids: clientIds })
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .getMany();
  },

  /** A further secret (a rotation: add, move the identity provider to it, then revoke the old one). */
  async addSecret(ctx: RequestContext, id: string, expiresAt: Date | null): Promise<OAuthClientWithSecret> {
    checkExpiry(expiresAt, new Date());
    return inTransaction(ctx, async (tx) => {
      const client = isUuid(id)
        ? await tx.manager.findOne(OAuthClient, { where: { tenantId: tx.tenantId, id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!client) throw notFound(id);
      if (client.platformClientId !== null) {
        throw new DomainError(ErrorCode.INVALID_VALUE, "This is your grant of a platform client: its secrets are the operator's, not the tenant's.", 'oauthClientId');
      }
      if (!usesSecrets(client.grantTypes)) {
        throw new DomainError(ErrorCode.INVALID_VALUE, 'This client authenticates by assertion (JWT_BEARER) only; it has no secrets.', 'oauthClientId');
      }
      const active = await tx.manager
        .createQueryBuilder(OAuthClientSecret, 's')
        .where('s.tenant_id = :tenantId AND s.oauth_client_id = :id AND s.revoked_at IS NULL AND s.expires_at > now()', { tenantId: tx.tenantId, id })
        .getCount();
      if (active >= MAX_ACTIVE_SECRETS) {
        throw new DomainError(ErrorCode.INVALID_VALUE, `A client has at most ${MAX_ACTIVE_SECRETS} active secrets; revoke one first.`, 'oauthClientId');
      }
      const clientSecret = await this.storeSecret(tx, client, expiresAt);
      return { client, clientSecret };
    });
  },

  /**
   * Revokes a secret and every token issued under it. In this process at once; other instances stop accepting the
   * tokens when their authentication cache entry runs out (OAUTH_AUTH_CACHE_MS, under 10 s).
   */
  async revokeSecret(ctx: RequestContext, id: string, secretId: string): Promise<OAuthClient> {
    return inTransaction(ctx, async (tx) => {
      const client = await this.get(tx, id);
      if (!client) throw notFound(id);
      const secret = isUuid(secretId)
        ? await tx.manager.findOne(OAuthClientSecret, { where: { tenantId: tx.tenantId, oauthClientId: client.id, id: secretId }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!secret) throw new DomainError(ErrorCode.NOT_FOUND, `No secret with id "${secretId}" exists on this client.`, 'secretId');
      if (secret.revokedAt !== null) return client;
      await tx.manager.update(OAuthClientSecret, { tenantId: tx.tenantId, id: secret.id, revokedAt: IsNull() }, { revokedAt: new Date() });
      await tx.manager
        .createQueryBuilder()
        .update('oauth_tokens')
        .set({ revokedAt: () => 'now()' })
        .where('tenant_id = :tenantId AND secret_id = :secretId AND revoked_at IS NULL', { tenantId: tx.tenantId, secretId: secret.id })
        .execute();
      forgetOAuthAuthentications();
      await auditService.record(tx, {
        action: 'oauth_client.secret_revoked',
        targetType: 'oauth_client',
        targetId: client.id,
        changes: { secret: { from: { id: secret.id, prefix: secret.prefix }, to: null } },
      });
      return client;
    });
  },

  /** Deletes a client with its secrets, tokens and pending authorizations (cascade): its tokens stop working. */
  async remove(ctx: RequestContext, id: string): Promise<OAuthClient> {
    return inTransaction(ctx, async (tx) => {
      const client = await this.get(tx, id);
      if (!client) throw notFound(id);
      await tx.manager.delete(OAuthClient, { tenantId: tx.tenantId, id: client.id });
      forgetOAuthAuthentications();
      await auditService.record(tx, {
        // A grant of a platform client: the tenant's grant ends; the platform client itself is the operator's.
        action: client.platformClientId !== null ? 'oauth_client.grant_revoked' : 'oauth_client.deleted',
        targetType: 'oauth_client',
        targetId: client.id,
        changes: { name: { from: client.name, to: null }, clientId: { from: client.clientId, to: null } },
      });
      return client;
    });
  },

  /**
   * Revokes the tenant's grant of a platform client (docs/oauth.md "Platform clients"): its codes, access and refresh
   * tokens in this tenant end (the row and, by cascade, they are deleted). Other tenants' grants are untouched; the
   * platform client can be approved again, which makes a new grant.
   */
  async revokeGrant(ctx: RequestContext, id: string): Promise<OAuthClient> {
    const client = await this.get(ctx, id);
    if (!client || client.platformClientId === null) {
      throw new DomainError(ErrorCode.NOT_FOUND, `No grant of a platform client with id "${id}" exists in this tenant.`, 'oauthClientId');
    }
    return this.remove(ctx, id);
  },

  /** The client a token-endpoint or authorization request names, in whichever tenant it is (client ids are global). */
  async findByClientId(manager: EntityManager, clientId: string): Promise<OAuthClient | null> {
    if (!clientId.startsWith(CLIENT_ID_PREFIX) || clientId.length > 100) return null;
    // Not a tenant's grant of a platform client: it carries the platform client's id, which authenticates as that.
    return manager.findOneBy(OAuthClient, { clientId, platformClientId: IsNull() });
  },
};
