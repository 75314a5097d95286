import http from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource, Logger } from 'typeorm';
import { App, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { answerClientErrors } from '../../src/http/client-errors';
import { Employee, Tenant } from '../../src/entities';
import { TokenScope } from '../../src/entities/enums';
import { RequestContext } from '../../src/services/context';
import { tenantService } from '../../src/services/tenant.service';
import { tokenService } from '../../src/services/token.service';
import { idpRequestBody } from './idp-fixtures';
import { TestDatabase, createTestDatabase } from './test-databases';

export interface TestTenant {
  tenant: Tenant;
  tokens: Record<TokenScope, string>;
  /** A service context for this tenant acting as the system (for arranging data the surfaces don't create yet). */
  ctx: RequestContext;
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * A real Rollcall for one test file: its own database (PostgreSQL or embedded), the real Express app on a real port,
 * and helpers that speak HTTP to it the way IdPs and admin clients do.
 */
export class Harness {
  private constructor(
    readonly db: TestDatabase,
    readonly dataSource: DataSource,
    readonly app: App,
    readonly server: http.Server,
    readonly baseUrl: string,
    /** Every SQL statement the app runs, counted (tests assert statements per request with it). */
    readonly statements: StatementCounter,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<Harness> {
    const db = await createTestDatabase();
    const statements = new StatementCounter();
    const dataSource = createDataSource({ url: db.url, poolSize: db.kind === 'embedded' ? 1 : 5, logger: statements, preparedStatements: db.kind !== 'embedded' });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const server = http.createServer();
    // As src/main.ts sets them. With Node's default of 5 s, a kept-alive socket that fetch reuses just as the server
    // closes it fails the request ("fetch failed"); CI saw it once in a test that waits several seconds between requests.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const config = loadConfig({ NODE_ENV: 'test', PORT: String(port), DATABASE_URL: db.url, ...env });
    const app = await createApp(config, dataSource);
    server.on('request', app.handler);
    server.on('upgrade', app.upgrade);
    return new Harness(db, dataSource, app, server, `http://127.0.0.1:${port}`, statements);
  }

  async close(): Promise<void> {
    await this.app.closeSockets();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.app.stop();
    await this.dataSource.destroy();
    await this.db.drop();
  }

  /** A new tenant with one token of each scope. */
  async tenant(slug: string): Promise<TestTenant> {
    const system = { surface: 'system' as const, tokenId: null };
    const tenant = await tenantService.create(this.dataSource.manager, system, { slug });
    const ctx: RequestContext = { tenantId: tenant.id, actor: system, requestId: 'test', manager: this.dataSource.manager };
    const tokens = {} as Record<TokenScope, string>;
    for (const scope of ['scim', 'admin', 'read'] as const) {
      tokens[scope] = (await tokenService.create(ctx, { name: `test-${scope}`, scope })).secret;
    }
    return { tenant, tokens, ctx };
  }

  async request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/scim+json; charset=utf-8';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  scim(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult> {
    return this.request(method, `/scim/v2${path}`, { token, body, headers });
  }

  async graphql<T = any>(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<HttpResult<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>> {
    return this.request('POST', '/graphql', {
      token,
      body: { query, variables },
      headers: { 'Content-Type': 'application/json' },
    });
  }

  /** The employee row as stored, read straight from the database (bypassing every surface). */
  async employeeRow(tenantId: string, id: string): Promise<Employee | null> {
    return this.dataSource.manager.findOneBy(Employee, { tenantId, id });
  }
}

/** A TypeORM logger that only counts statements. */
export class StatementCounter implements Logger {
  count = 0;
  /** The text of the last statement counted. */
  last = '';
  /**
   * Transaction control is not counted: the embedded database wraps single statements in one (src/services/sql.ts).
   * Nor is token authentication (the token lookup and its last-used stamp): the token cache answers most requests,
   * and a test that counted them would depend on whether its 10 seconds ran out in the middle of a measurement.
   * Nor is the change feed's sequencer (src/services/event.service.ts), which runs in the background when a
   * transaction that wrote events commits, not as part of the request. Nor the webhook dispatcher.
   */
  logQuery(query: string): void {
    if (/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b/i.test(query) || /\baccess_tokens\b/.test(query)) return;
    if (/\b(event_sequences|event_pending|pg_notify)\b/.test(query)) return;
    // Nor the webhook dispatcher, which claims endpoints and records deliveries in the background.
    if (/\bwebhook_(endpoints|deliveries)\b/.test(query)) return;
    this.count++;
    this.last = query;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

let oktaCreate: Record<string, any> | undefined;

/**
 * The body Okta sends when an admin assigns a person to the app (test/fixtures/idp/okta/05-create-user.json), for
 * `userName`: the given name and displayName are made from its local part.
 */
export function oktaCreateUser(userName: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  oktaCreate ??= idpRequestBody<Record<string, any>>('okta', '05-create-user');
  const [local] = userName.split('@');
  const familyName: string = oktaCreate.name.familyName;
  return {
    ...oktaCreate,
    userName,
    name: { givenName: local.charAt(0).toUpperCase() + local.slice(1), familyName },
    emails: [{ ...oktaCreate.emails[0], value: userName }],
    displayName: `${local} ${familyName}`,
    ...overrides,
  };
}
