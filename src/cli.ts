import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource, EntityManager } from 'typeorm';
import { Config, ConfigError, loadConfig } from './config';
import { Database, openDatabase } from './db/database';
import { EmbeddedDatabaseBusyError } from './db/embedded';
import { Tenant } from './entities';
import { TOKEN_SCOPES, TokenScope } from './entities/enums';
import { Actor, RequestContext } from './services/context';
import { DomainError } from './services/errors';
import * as sql from './services/sql';
import { tenantService } from './services/tenant.service';
import { tokenService } from './services/token.service';

const USAGE = `Usage: rollcall <command>

  serve                                   start the server (same as npm start)
  migrate                                 apply pending database migrations
  tenant create <slug> [--name NAME]      create a tenant with a SCIM and an admin token
  token create --tenant SLUG --scope scim|admin|read [--name NAME]
                                          create a token (its secret is shown once)
  token list [--tenant SLUG]              list tokens (prefixes, never secrets)
  token revoke <prefix|id> [--tenant SLUG]
                                          revoke a token

Options: --json prints one JSON object. The database is DATABASE_URL, or the embedded one in DATA_DIR
(default ./data) when the server is not running.`;

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

class UsageError extends Error {}

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
  if (!slug) throw new UsageError('--tenant SLUG is required.');
  const tenant = await tenantService.findBySlug(dataSource.manager, slug);
  if (!tenant) throw new UsageError(`No tenant with slug "${slug}". Create it with: rollcall tenant create ${slug}`);
  return cliContext(tenant.id, dataSource.manager);
}

function scopeOf(value: string | undefined): TokenScope {
  if (!value || !(TOKEN_SCOPES as readonly string[]).includes(value)) {
    throw new UsageError(`--scope must be one of ${TOKEN_SCOPES.join(', ')}.`);
  }
  return value as TokenScope;
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
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [group, action, arg] = positionals;
  const json = values.json === true;
  const print = (object: unknown, text: string) => io.out(json ? JSON.stringify(object) : text);

  if (values.help || group === undefined || group === 'help') {
    io.out(USAGE);
    return group === undefined && !values.help ? 2 : 0;
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
      if (!arg) throw new UsageError('tenant create needs a slug, e.g. rollcall tenant create acme');
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
        print(
          { tokens: rows },
          rows.length === 0
            ? 'No tokens.'
            : rows
                .map((r) => `${r.tenant}  ${r.prefix}…  ${r.scope.padEnd(5)}  ${r.name}  ${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}  ${r.id}`)
                .join('\n'),
        );
      });
      return 0;
    }
    if (group === 'token' && action === 'revoke') {
      if (!arg) throw new UsageError('token revoke needs the token prefix or id shown by `token list`.');
      await withDatabase(config, async (dataSource) => {
        let ctx: RequestContext;
        if (values.tenant) ctx = await tenantContext(dataSource, values.tenant);
        else {
          const tenantIds = await tokenService.tenantsOf(dataSource.manager, arg);
          if (tenantIds.length === 0) throw new UsageError(`No token with prefix or id "${arg}".`);
          if (tenantIds.length > 1) throw new UsageError(`"${arg}" matches tokens of several tenants; add --tenant SLUG.`);
          ctx = cliContext(tenantIds[0], dataSource.manager);
        }
        const token = await tokenService.revoke(ctx, arg);
        print({ token: { id: token.id, prefix: token.prefix, revokedAt: token.revokedAt } }, `Revoked ${token.prefix}… (${token.id}).`);
      });
      return 0;
    }
    throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof EmbeddedDatabaseBusyError || error instanceof DomainError) {
      io.err(json ? JSON.stringify({ error: error.message }) : error.message);
      return 1;
    }
    io.err(`rollcall: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exit(code);
  });
}
