import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource, EntityManager } from 'typeorm';
import { Config, ConfigError, loadConfig } from './config';
import { Database, openDatabase } from './db/database';
import { EmbeddedDatabaseBusyError } from './db/embedded';
import { Tenant } from './entities';
import { TOKEN_SCOPES, TokenScope } from './entities/enums';
import { OAuthPlatformClient, OAuthPlatformClientSecret } from './entities/oauth-platform-client.entity';
import { Actor, RequestContext } from './services/context';
import { DomainError, ErrorCode, isDatabaseUnavailable } from './services/errors';
import * as sql from './services/sql';
import { tenantService } from './services/tenant.service';
import { PlatformContext, oauthPlatformClientService } from './services/oauth/platform-client.service';
import { tokenService } from './services/token.service';
import { isUuid } from './services/validation';

const USAGE = `Usage: rollcall <command>

  serve                                   start the server (same as npm start)
  migrate                                 apply pending database migrations
  tenant create <slug> [--name NAME]      create a tenant with a SCIM and an admin token
  token create --tenant SLUG --scope scim|admin|read [--name NAME]
                                          create a token (its secret is shown once)
  token list [--tenant SLUG]              list tokens (prefixes, never secrets)
  token revoke <prefix|id> [--tenant SLUG]
                                          revoke a token (the prefix as \`token list\` prints it, with or without …)
  oauth-client create --platform --name NAME --redirect-uri URI [--redirect-uri URI …]
                                          create a platform OAuth client: one client id and secret for every tenant
                                          (Okta's integration network); authorization code only; secret shown once
  oauth-client list --platform            list platform OAuth clients, their secrets (prefixes) and tenant grants
  oauth-client add-secret <client> --platform [--expires-at ISO-DATE]
                                          add a secret (rotation; at most 3 years, default 2); shown once
  oauth-client revoke-secret <client> <secret id|prefix> --platform
                                          revoke a secret and every tenant's tokens obtained with it
  oauth-client delete <client> --platform delete a platform client: every tenant's grant and tokens end
                                          (<client> is the client id rc_client_… or the id \`list\` prints)

Options: --json prints one JSON object on stdout, also for a failure: {"error":{"code":"…","message":"…"}}.
The database is DATABASE_URL, or the embedded one in DATA_DIR (default ./data) when the server is not running.
Exit codes: 0 done, 1 unexpected failure, 2 usage, 3 invalid value, 4 not found, 5 conflict (exists, already revoked),
6 database unavailable, 7 embedded database in use, 8 invalid configuration.`;

const CLI: Actor = { surface: 'cli', tokenId: null };

/**
 * The CLI's request context. The CLI presents no token: whoever can run it can reach the database, so the token,
 * scope and rate-limit checks of the HTTP surfaces (src/http/auth.ts) do not apply; the tenant is named by --tenant.
 */
function cliContext(tenantId: string, manager: EntityManager): RequestContext {
  return { tenantId, actor: CLI, requestId: `cli-${process.pid}`, manager };
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The codes of CLI failures that no service raises (services raise DomainError codes, reported as they are). */
type CliOnlyCode = 'USAGE' | 'AMBIGUOUS' | 'ALREADY_REVOKED' | 'DATABASE_IN_USE' | 'CONFIG' | 'INTERNAL';
type CliErrorCode = ErrorCode | CliOnlyCode;

/**
 * The exit status of each failure, the one place scripts' contract is decided (README "Exit codes" lists it). 1 and 2
 * keep their meaning from before the table existed: any other failure, and usage.
 */
const EXIT_STATUS = {
  INTERNAL: 1,
  [ErrorCode.UNAUTHENTICATED]: 1,
  [ErrorCode.FORBIDDEN]: 1,
  USAGE: 2,
  AMBIGUOUS: 2,
  [ErrorCode.INVALID_VALUE]: 3,
  [ErrorCode.REQUIRED]: 3,
  [ErrorCode.IDP_MANAGED_FIELD]: 3,
  [ErrorCode.DEFAULT_ROLE_MISSING]: 3,
  [ErrorCode.NOT_FOUND]: 4,
  [ErrorCode.UNIQUENESS]: 5,
  ALREADY_REVOKED: 5,
  [ErrorCode.VERSION_CONFLICT]: 5,
  [ErrorCode.IN_USE]: 5,
  [ErrorCode.DATABASE_UNAVAILABLE]: 6,
  DATABASE_IN_USE: 7,
  CONFIG: 8,
} as const satisfies Record<CliErrorCode, number>;

/** A failure as the CLI reports it; `details` go beside `error` in --json output (e.g. the already revoked token). */
class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

function usageError(message: string): CliError {
  return new CliError('USAGE', message);
}

function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof DomainError) return new CliError(error.code, error.message);
  if (error instanceof ConfigError) return new CliError('CONFIG', error.message);
  if (error instanceof EmbeddedDatabaseBusyError) return new CliError('DATABASE_IN_USE', error.message);
  const e = error as { message?: unknown; code?: unknown };
  const detail = (typeof e?.message === 'string' && e.message) || (typeof e?.code === 'string' && e.code) || String(error);
  if (isDatabaseUnavailable(error)) {
    return new CliError(
      ErrorCode.DATABASE_UNAVAILABLE,
      `The database cannot be reached (${detail}). Check DATABASE_URL and that the PostgreSQL server is running.`,
    );
  }
  return new CliError('INTERNAL', detail);
}

/**
 * Writes a failure. Text: the message on stderr (with the usage text for a usage error). --json: only the JSON object,
 * on stdout, where scripts read the rest of the output: a script that merges the streams (`2>&1`) still reads one
 * JSON document.
 */
function report(error: CliError, json: boolean, io: CliIo): number {
  const text =
    error.code === 'USAGE' ? `${error.message}\n\n${USAGE}` : error.code === 'INTERNAL' ? `rollcall: ${error.message}` : error.message;
  if (json) {
    io.out(JSON.stringify({ error: { code: error.code, message: error.message }, ...error.details }));
  } else {
    io.err(text);
  }
  return EXIT_STATUS[error.code];
}

/** A token reference as typed or pasted: `token list` prints prefixes with a trailing "…", which is not part of them. */
function tokenRef(arg: string): string {
  return arg.trim().replace(/…+$/u, '');
}

function noSuchToken(ref: string, tenant?: string): CliError {
  const what = isUuid(ref) ? `id "${ref}"` : `prefix "${ref}"`;
  const where = tenant ? ` in tenant "${tenant}"` : '';
  return new CliError(ErrorCode.NOT_FOUND, `No token with ${what}${where}. \`rollcall token list\` shows each token's prefix and id.`);
}

/** `token list` as text: one aligned row per token under a header row. */
function tokenTable(rows: { tenant: string; prefix: string; scope: string; name: string; revokedAt: string | null; expiresAt: string | null; id: string }[]): string {
  const now = Date.now();
  const cells = [
    ['TENANT', 'PREFIX', 'SCOPE', 'NAME', 'STATE', 'ID'],
    ...rows.map((r) => [
      r.tenant,
      `${r.prefix}…`,
      r.scope,
      r.name,
      r.revokedAt ? `revoked ${r.revokedAt}` : r.expiresAt && Date.parse(r.expiresAt) <= now ? `expired ${r.expiresAt}` : 'active',
      r.id,
    ]),
  ];
  const widths = cells[0].map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n');
}

async function withDatabase<T>(config: Config, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  let db: Database | undefined;
  try {
    db = await openDatabase(config);
    return await work(db.dataSource);
  } finally {
    await db?.close();
  }
}

async function tenantContext(dataSource: DataSource, slug: string | undefined): Promise<RequestContext> {
  if (!slug) throw usageError('--tenant SLUG is required.');
  const tenant = await tenantService.findBySlug(dataSource.manager, slug);
  if (!tenant) throw new CliError(ErrorCode.NOT_FOUND, `No tenant with slug "${slug}". Create it with: rollcall tenant create ${slug}`);
  return cliContext(tenant.id, dataSource.manager);
}

function scopeOf(value: string | undefined): TokenScope {
  if (!value || !(TOKEN_SCOPES as readonly string[]).includes(value)) {
    throw usageError(`--scope must be one of ${TOKEN_SCOPES.join(', ')}.`);
  }
  return value as TokenScope;
}

function platformContext(manager: EntityManager): PlatformContext {
  return { actor: CLI, requestId: `cli-${process.pid}`, manager };
}

function expiryOf(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CliError(ErrorCode.INVALID_VALUE, `--expires-at "${value}" is not a date (e.g. 2028-01-31 or 2028-01-31T12:00:00Z).`);
  return date;
}

function secretSummary(s: OAuthPlatformClientSecret) {
  return {
    id: s.id,
    prefix: s.prefix,
    createdAt: s.createdAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    lastUsedAt: s.lastUsedAt?.toISOString() ?? null,
    revokedAt: s.revokedAt?.toISOString() ?? null,
  };
}

function platformSummary(c: OAuthPlatformClient) {
  return {
    id: c.id,
    clientId: c.clientId,
    name: c.name,
    platform: true,
    grantTypes: ['AUTHORIZATION_CODE'],
    redirectUris: c.redirectUris,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * `oauth-client …`: the operator's deployment-wide ("platform") OAuth clients (docs/oauth.md "Platform clients").
 * Tenants' own clients are their admins' business (the console's Connections page, GraphQL), so --platform is
 * required: a command without it would otherwise look like it manages those.
 */
async function platformClientCommand(
  config: Config,
  action: string | undefined,
  ref: string | undefined,
  secretRef: string | undefined,
  values: { platform?: boolean; name?: string; 'redirect-uri'?: string[]; 'expires-at'?: string },
  print: (object: unknown, text: string) => void,
): Promise<number> {
  if (!['create', 'list', 'add-secret', 'revoke-secret', 'delete'].includes(action ?? '')) {
    throw usageError(`Unknown command: oauth-client ${action ?? ''}`.trim());
  }
  if (!values.platform) {
    throw usageError("oauth-client manages platform clients only: add --platform. A tenant's own OAuth clients are managed in the admin console (Connections).");
  }
  if (['add-secret', 'revoke-secret', 'delete'].includes(action!) && !ref) throw usageError(`oauth-client ${action} needs the client id (rc_client_…) or id.`);
  if (action === 'revoke-secret' && !secretRef) throw usageError('oauth-client revoke-secret needs the secret id or prefix (`oauth-client list --platform` shows them).');
  await withDatabase(config, async (dataSource) => {
    const ctx = platformContext(dataSource.manager);
    if (action === 'create') {
      if (values.name === undefined) throw usageError('oauth-client create needs --name NAME.');
      const { client, clientSecret } = await oauthPlatformClientService.create(ctx, { name: values.name, redirectUris: values['redirect-uri'] ?? [] });
      print(
        { oauthClient: platformSummary(client), clientSecret },
        [
          `Created platform OAuth client "${client.name}" (${client.id}). Every tenant's admin can approve it.`,
          `  Client id    : ${client.clientId}`,
          `  Client secret: ${clientSecret}   (shown only this once)`,
        ].join('\n'),
      );
    } else if (action === 'list') {
      const list = await oauthPlatformClientService.list(ctx);
      const rows = list.map((l) => ({ ...platformSummary(l.client), tenantGrants: l.grants, secrets: l.secrets.map(secretSummary) }));
      const text = rows
        .map((r) =>
          [
            `${r.clientId}  ${r.name}  (${r.id})  ${r.tenantGrants} tenant grant(s), last used ${r.lastUsedAt ?? 'never'}`,
            `  redirect URIs: ${r.redirectUris.join(' ')}`,
            ...r.secrets.map((x) => `  secret ${x.prefix}…  ${x.id}  expires ${x.expiresAt}${Date.parse(x.expiresAt) <= Date.now() ? ' (expired)' : ''}`),
          ].join('\n'),
        )
        .join('\n');
      print({ oauthClients: rows }, rows.length === 0 ? 'No platform OAuth clients.' : text);
    } else if (action === 'add-secret') {
      const { client, clientSecret, secret } = await oauthPlatformClientService.addSecret(ctx, ref!, expiryOf(values['expires-at']));
      print(
        { oauthClient: platformSummary(client), secret: secretSummary(secret), clientSecret },
        `Added secret ${secret.prefix}… (${secret.id}) to ${client.clientId}, expiring ${secret.expiresAt.toISOString()}. Shown only this once:\n  ${clientSecret}`,
      );
    } else if (action === 'revoke-secret') {
      const { client, secret, alreadyRevoked } = await oauthPlatformClientService.revokeSecret(ctx, ref!, secretRef!);
      const summary = { oauthClient: platformSummary(client), secret: secretSummary(secret) };
      if (alreadyRevoked) {
        throw new CliError('ALREADY_REVOKED', `Secret ${secret.prefix}… (${secret.id}) was already revoked at ${secret.revokedAt!.toISOString()}; nothing changed.`, summary);
      }
      print(summary, `Revoked secret ${secret.prefix}… (${secret.id}) of ${client.clientId}; tokens obtained with it no longer work.`);
    } else {
      const { client, grants } = await oauthPlatformClientService.remove(ctx, ref!);
      print(
        { deletedOAuthClient: platformSummary(client), revokedTenantGrants: grants },
        `Deleted platform OAuth client ${client.clientId} ("${client.name}"); ${grants} tenant grant(s) and their tokens ended.`,
      );
    }
  });
  return 0;
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo = { out: console.log, err: console.error }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        name: { type: 'string' },
        tenant: { type: 'string' },
        scope: { type: 'string' },
        platform: { type: 'boolean', default: false },
        'redirect-uri': { type: 'string', multiple: true },
        'expires-at': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // The arguments did not parse, but a script that asked for JSON still gets it.
    return report(usageError((error as Error).message), argv.includes('--json'), io);
  }
  const { values, positionals } = parsed;
  const [group, action, arg, arg2] = positionals;
  const json = values.json === true;
  const print = (object: unknown, text: string) => io.out(json ? JSON.stringify(object) : text);

  if (values.help || group === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (group === undefined) {
    if (json) return report(usageError('No command given.'), json, io);
    io.out(USAGE);
    return EXIT_STATUS.USAGE;
  }

  try {
    if (group === 'serve') {
      const { main } = await import('./main');
      await main();
      return -1; // keeps running; the server exits the process itself
    }
    const config = loadConfig();
    if (group === 'migrate') {
      await withDatabase(config, async (dataSource) => {
        // openDatabase has applied pending migrations; report what is there.
        const rows = await sql.rows<{ name: string }>({ manager: dataSource.manager }, 'SELECT name FROM migrations ORDER BY id');
        print({ migrations: rows.map((r) => r.name) }, `Database is up to date (${rows.length} migrations applied).`);
      });
      return 0;
    }
    if (group === 'tenant' && action === 'create') {
      if (!arg) throw usageError('tenant create needs a slug, e.g. rollcall tenant create acme');
      await withDatabase(config, async (dataSource) => {
        const result = await dataSource.transaction(async (manager) => {
          const tenant = await tenantService.create(manager, CLI, { slug: arg, name: values.name });
          const ctx = cliContext(tenant.id, manager);
          const scim = await tokenService.create(ctx, { name: 'scim', scope: 'scim' });
          const admin = await tokenService.create(ctx, { name: 'admin', scope: 'admin' });
          return { tenant, scim, admin };
        });
        print(
          { tenant: { id: result.tenant.id, slug: result.tenant.slug }, scimToken: result.scim.secret, adminToken: result.admin.secret },
          [
            `Created tenant "${result.tenant.slug}" (${result.tenant.id}). Tokens are shown only this once:`,
            `  SCIM token : ${result.scim.secret}`,
            `  Admin token: ${result.admin.secret}`,
          ].join('\n'),
        );
      });
      return 0;
    }
    if (group === 'token' && action === 'create') {
      const scope = scopeOf(values.scope);
      await withDatabase(config, async (dataSource) => {
        const ctx = await tenantContext(dataSource, values.tenant);
        const { token, secret } = await tokenService.create(ctx, { name: values.name ?? `${scope}-cli`, scope });
        print(
          { token: { id: token.id, name: token.name, scope: token.scope, prefix: token.prefix }, secret },
          `Created ${scope} token "${token.name}" (${token.prefix}…). Shown only this once:\n  ${secret}`,
        );
      });
      return 0;
    }
    if (group === 'token' && action === 'list') {
      await withDatabase(config, async (dataSource) => {
        const tenants = values.tenant
          ? [(await tenantService.findBySlug(dataSource.manager, values.tenant)) ?? undefined]
          : await dataSource.manager.find(Tenant, { order: { slug: 'ASC' } });
        if (tenants[0] === undefined && values.tenant) await tenantContext(dataSource, values.tenant);
        const tokens = [];
        for (const tenant of tenants) {
          const ctx = cliContext(tenant!.id, dataSource.manager);
          for (const t of await tokenService.list(ctx)) tokens.push({ ...t, tenantSlug: tenant!.slug });
        }
        const rows = tokens.map((t) => ({
          tenant: t.tenantSlug,
          id: t.id,
          name: t.name,
          scope: t.scope,
          prefix: t.prefix,
          createdAt: t.createdAt.toISOString(),
          lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
          revokedAt: t.revokedAt?.toISOString() ?? null,
          expiresAt: t.expiresAt?.toISOString() ?? null,
        }));
        print({ tokens: rows }, rows.length === 0 ? 'No tokens.' : tokenTable(rows));
      });
      return 0;
    }
    if (group === 'token' && action === 'revoke') {
      const ref = tokenRef(arg ?? '');
      if (!ref) throw usageError('token revoke needs the token prefix or id shown by `token list`.');
      await withDatabase(config, async (dataSource) => {
        let ctx: RequestContext;
        if (values.tenant) ctx = await tenantContext(dataSource, values.tenant);
        else {
          const tenantIds = await tokenService.tenantsOf(dataSource.manager, ref);
          if (tenantIds.length === 0) throw noSuchToken(ref);
          if (tenantIds.length > 1) throw new CliError('AMBIGUOUS', `"${ref}" matches tokens of several tenants; add --tenant SLUG.`);
          ctx = cliContext(tenantIds[0], dataSource.manager);
        }
        const matches = await tokenService.matching(ctx, ref);
        if (matches.length === 0) throw noSuchToken(ref, values.tenant);
        if (matches.length > 1) {
          throw new CliError('AMBIGUOUS', `"${ref}" matches ${matches.length} tokens; revoke by id instead (\`rollcall token list\` shows the ids).`);
        }
        const [found] = matches;
        const summary = (t: typeof found) => ({ token: { id: t.id, prefix: t.prefix, revokedAt: t.revokedAt } });
        if (found.revokedAt !== null) {
          throw new CliError(
            'ALREADY_REVOKED',
            `Token ${found.prefix}… (${found.id}) was already revoked at ${found.revokedAt.toISOString()}; nothing changed.`,
            summary(found),
          );
        }
        // By id: it locks the row, and audits the change it makes.
        const token = await tokenService.revokeById(ctx, found.id);
        print(summary(token), `Revoked ${token.prefix}… (${token.id}).`);
      });
      return 0;
    }
    if (group === 'oauth-client') {
      return await platformClientCommand(config, action, arg, arg2, values, print);
    }
    throw usageError(`Unknown command: ${positionals.join(' ')}`);
  } catch (error) {
    return report(asCliError(error), json, io);
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exit(code);
  });
}
