import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EntityManager, IsNull, MoreThan } from 'typeorm';
import { OAuthClient } from '../../entities/oauth-client.entity';
import { OAuthPlatformClient, OAuthPlatformClientSecret } from '../../entities/oauth-platform-client.entity';
import { auditService } from '../audit.service';
import { Actor } from '../context';
import { DomainError, ErrorCode, IssueCollector } from '../errors';
import * as sql from '../sql';
import { hashToken } from '../token.service';
import { isUuid, textProblem } from '../validation';
import { CLIENT_ID_PREFIX, MAX_ACTIVE_SECRETS, MAX_REDIRECT_URIS, checkExpiry, newSecret, redirectUriProblem } from './client.service';
import { forgetOAuthAuthentications } from './tokens';

/**
 * The context of an operator's change to platform clients: no tenant (a platform client belongs to none). The CLI is
 * the only surface that makes one (docs/oauth.md "Platform clients").
 */
export interface PlatformContext {
  readonly actor: Actor;
  readonly requestId: string;
  readonly manager: EntityManager;
}

export interface PlatformClientInput {
  name: string;
  redirectUris: readonly string[];
}

export interface PlatformClientWithSecret {
  client: OAuthPlatformClient;
  clientSecret: string;
}

export interface PlatformClientSummary {
  client: OAuthPlatformClient;
  secrets: OAuthPlatformClientSecret[];
  /** How many tenants hold a grant of it (approved it and did not revoke). */
  grants: number;
}

function notFound(ref: string): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `No platform OAuth client "${ref}". \`rollcall oauth-client list --platform\` shows them.`, 'client');
}

function checkInput(input: PlatformClientInput): { name: string; redirectUris: string[] } {
  const issues = new IssueCollector();
  const name = input.name.trim();
  if (name === '' || textProblem(name, { max: 100 })) issues.add(ErrorCode.INVALID_VALUE, 'name must be 1 to 100 characters without control characters.', 'name');
  const redirectUris = [...new Set(input.redirectUris.map((u) => u.trim()))];
  if (redirectUris.length === 0) issues.add(ErrorCode.REQUIRED, 'A platform client needs at least one redirect URI (--redirect-uri).', 'redirectUris');
  if (redirectUris.length > MAX_REDIRECT_URIS) issues.add(ErrorCode.INVALID_VALUE, `redirectUris: at most ${MAX_REDIRECT_URIS}.`, 'redirectUris');
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) issues.add(ErrorCode.INVALID_VALUE, `redirect URI "${uri.slice(0, 100)}" ${problem}.`, 'redirectUris');
  }
  issues.throwIfAny();
  return { name, redirectUris };
}

/**
 * Audits, in every tenant holding a grant of `client`, what the operator did to it: audit rows belong to a tenant,
 * and each tenant should see in its own log why its connection changed or ended. What concerns no tenant (a new client
 * or secret) is recorded by the rows themselves (created_at; secrets are revoked, never deleted) and by the CLI's
 * output: the CLI runs as its own process, with no server log to write to, and its stdout is the operator's (one JSON
 * object under --json).
 */
async function auditGrants(ctx: PlatformContext, client: OAuthPlatformClient, action: string, changes: Record<string, { from: unknown; to: unknown }>): Promise<void> {
  const grants = await ctx.manager.find(OAuthClient, { where: { platformClientId: client.id }, select: { tenantId: true, id: true } });
  for (const grant of grants) {
    await auditService.record(
      { tenantId: grant.tenantId, actor: ctx.actor, requestId: ctx.requestId, manager: ctx.manager },
      { action, targetType: 'oauth_client', targetId: grant.id, changes: changes as never },
    );
  }
}

async function locked(manager: EntityManager, ref: string): Promise<OAuthPlatformClient> {
  const where = isUuid(ref) ? { id: ref } : { clientId: ref };
  const client = ref.length <= 100 ? await manager.findOne(OAuthPlatformClient, { where, lock: { mode: 'pessimistic_write' } }) : null;
  if (!client) throw notFound(ref);
  return client;
}

async function storeSecret(manager: EntityManager, client: OAuthPlatformClient, expiresAt: Date | null): Promise<{ secret: string; row: OAuthPlatformClientSecret }> {
  const expires = checkExpiry(expiresAt, new Date());
  const { secret, prefix } = newSecret();
  const row = await manager.save(manager.create(OAuthPlatformClientSecret, { platformClientId: client.id, secretHash: hashToken(secret), prefix, expiresAt: expires }));
  return { secret, row };
}

/** Deployment-wide OAuth clients (Okta's integration network: one client id and secret for every tenant). */
export const oauthPlatformClientService = {
  /** A new platform client (AUTHORIZATION_CODE with refresh tokens, the only grant it may use) and its first secret. */
  async create(ctx: PlatformContext, input: PlatformClientInput): Promise<PlatformClientWithSecret> {
    const checked = checkInput(input);
    return ctx.manager.transaction(async (manager) => {
      const client = await manager.save(
        manager.create(OAuthPlatformClient, { clientId: CLIENT_ID_PREFIX + randomBytes(12).toString('hex'), name: checked.name, redirectUris: checked.redirectUris }),
      );
      const { secret } = await storeSecret(manager, client, null);
      return { client, clientSecret: secret };
    });
  },

  async list(ctx: PlatformContext): Promise<PlatformClientSummary[]> {
    const clients = await ctx.manager.find(OAuthPlatformClient, { order: { createdAt: 'ASC', id: 'ASC' } });
    if (clients.length === 0) return [];
    const ids = clients.map((c) => c.id);
    const secrets = await ctx.manager
      .createQueryBuilder(OAuthPlatformClientSecret, 's')
      .where('s.platform_client_id IN (:...ids) AND s.revoked_at IS NULL', { ids })
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .getMany();
    const counts = await sql.rows<{ platform_client_id: string; n: string }>(
      ctx,
      'SELECT platform_client_id, count(*) AS n FROM oauth_clients WHERE platform_client_id = ANY($1::uuid[]) GROUP BY platform_client_id',
      [ids],
    );
    return clients.map((client) => ({
      client,
      secrets: secrets.filter((s) => s.platformClientId === client.id),
      grants: Number(counts.find((c) => c.platform_client_id === client.id)?.n ?? 0),
    }));
  },

  /** A further secret (rotation), expiring at most 3 years away (default 2). */
  async addSecret(ctx: PlatformContext, ref: string, expiresAt: Date | null): Promise<{ client: OAuthPlatformClient; clientSecret: string; secret: OAuthPlatformClientSecret }> {
    checkExpiry(expiresAt, new Date());
    return ctx.manager.transaction(async (manager) => {
      const client = await locked(manager, ref);
      const active = await manager.countBy(OAuthPlatformClientSecret, { platformClientId: client.id, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) });
      if (active >= MAX_ACTIVE_SECRETS) {
        throw new DomainError(ErrorCode.INVALID_VALUE, `A client has at most ${MAX_ACTIVE_SECRETS} active secrets; revoke one first.`, 'client');
      }
      const { secret, row } = await storeSecret(manager, client, expiresAt);
      return { client, clientSecret: secret, secret: row };
    });
  },

  /**
   * Revokes a secret and every token obtained with it, in every tenant. Refused by this process at once, by others
   * within 10 s (their authentication caches run out). Each tenant whose grant held such tokens sees it in its audit log.
   */
  async revokeSecret(ctx: PlatformContext, ref: string, secretRef: string): Promise<{ client: OAuthPlatformClient; secret: OAuthPlatformClientSecret; alreadyRevoked: boolean }> {
    return ctx.manager.transaction(async (manager) => {
      const client = await locked(manager, ref);
      const secret = isUuid(secretRef)
        ? await manager.findOne(OAuthPlatformClientSecret, { where: { platformClientId: client.id, id: secretRef }, lock: { mode: 'pessimistic_write' } })
        : await manager.findOne(OAuthPlatformClientSecret, { where: { platformClientId: client.id, prefix: secretRef.replace(/…+$/u, '') }, lock: { mode: 'pessimistic_write' } });
      if (!secret) throw new DomainError(ErrorCode.NOT_FOUND, `No secret "${secretRef}" on platform client ${client.clientId}.`, 'secret');
      if (secret.revokedAt !== null) return { client, secret, alreadyRevoked: true };
      secret.revokedAt = new Date();
      await manager.update(OAuthPlatformClientSecret, { id: secret.id }, { revokedAt: secret.revokedAt });
      await sql.affected(
        { manager },
        `UPDATE oauth_tokens t SET revoked_at = now()
           FROM oauth_clients c
          WHERE c.platform_client_id = $1 AND t.tenant_id = c.tenant_id AND t.oauth_client_id = c.id
            AND t.secret_id = $2 AND t.revoked_at IS NULL`,
        [client.id, secret.id],
      );
      forgetOAuthAuthentications();
      await auditGrants({ ...ctx, manager }, client, 'oauth_client.secret_revoked', { secret: { from: { id: secret.id, prefix: secret.prefix }, to: null } });
      return { client, secret, alreadyRevoked: false };
    });
  },

  /**
   * Deletes a platform client: every tenant's grant of it goes too (cascade), with their codes and tokens; each such
   * tenant's audit log says so. Pending consent requests go as well.
   */
  async remove(ctx: PlatformContext, ref: string): Promise<{ client: OAuthPlatformClient; grants: number }> {
    return ctx.manager.transaction(async (manager) => {
      const client = await locked(manager, ref);
      const grants = await manager.countBy(OAuthClient, { platformClientId: client.id });
      // Audited before the delete: the grants are the rows the audit names.
      await auditGrants({ ...ctx, manager }, client, 'oauth_client.deleted', {
        name: { from: client.name, to: null },
        clientId: { from: client.clientId, to: null },
      });
      await manager.delete(OAuthPlatformClient, { id: client.id });
      forgetOAuthAuthentications();
      return { client, grants };
    });
  },

  /** The platform client a token-endpoint or authorization request names (after the tenants' clients were searched). */
  async findByClientId(manager: EntityManager, clientId: string): Promise<OAuthPlatformClient | null> {
    if (!clientId.startsWith(CLIENT_ID_PREFIX) || clientId.length > 100) return null;
    return manager.findOneBy(OAuthPlatformClient, { clientId });
  },

  /** The active secret of `client` that `secret` is (by hash, then in constant time); its id, or null. */
  async matchSecret(manager: EntityManager, client: OAuthPlatformClient, secret: string): Promise<string | null> {
    if (secret.length < 16 || secret.length > 512) return null;
    const hash = hashToken(secret);
    const row = await sql.one<{ id: string; secret_hash: string; last_used_at: Date | null }>(
      { manager },
      `SELECT id, secret_hash, last_used_at FROM oauth_platform_client_secrets
        WHERE secret_hash = $1 AND platform_client_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
      [hash, client.id],
    );
    if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(hash))) return null;
    if (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > 60_000) {
      await sql.affected({ manager }, 'UPDATE oauth_platform_client_secrets SET last_used_at = now() WHERE id = $1', [row.id]);
    }
    return row.id;
  },

  async hasActiveSecret(manager: EntityManager, client: OAuthPlatformClient): Promise<boolean> {
    const rows = await sql.rows({ manager }, 'SELECT 1 FROM oauth_platform_client_secrets WHERE platform_client_id = $1 AND revoked_at IS NULL AND expires_at > now() LIMIT 1', [
      client.id,
    ]);
    return rows.length > 0;
  },

  async touch(manager: EntityManager, id: string): Promise<void> {
    await sql.affected({ manager }, "UPDATE oauth_platform_clients SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')", [id]);
  },
};
