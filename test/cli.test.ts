import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, operatorEnv, sleep } from './support/processes';
import { withDatabase } from './support/test-databases';

/**
 * The CLI as operators run it: `node bin/rollcall.js ...` as a child process against one fresh database for this file
 * (a new empty PostgreSQL database when DATABASE_URL is set, else the embedded PGlite in a new DATA_DIR). Tests run in
 * order and build on each other: acme is created first, then its tokens are created, listed and revoked.
 */
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..');
const LAUNCHER = path.join(ROOT, 'bin', 'rollcall.js');
/** The PostgreSQL server the run targets; undefined means the embedded database. */
const SERVER_URL = process.env.DATABASE_URL;
const HEALTHY_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

// ---------------------------------------------------------------------------------------------------------------------
// Database, processes and HTTP

async function onServer(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-cli-'));
const dataDir = path.join(dir, 'data');
const databaseName = `rollcall_cli_${randomBytes(6).toString('hex')}`;
/** What every child gets to find the database (DATA_DIR too on PostgreSQL, so nothing ever lands in ./data). */
const dbEnv: Record<string, string> = SERVER_URL
  ? { DATABASE_URL: withDatabase(SERVER_URL, databaseName), DATA_DIR: dataDir }
  : { DATA_DIR: dataDir };

beforeAll(async () => {
  if (SERVER_URL) await onServer(`CREATE DATABASE ${databaseName}`);
});

afterAll(async () => {
  await Promise.all([...children].map((child) => killChild(child)));
  if (SERVER_URL) await onServer(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An operator's shell (test/support/processes.ts) with the database and `extra`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return operatorEnv({ ...dbEnv, ...extra });
}

/** Every child this file started; afterEach kills whatever is still running. */
const children = new Set<ChildProcess>();
type Exit = { code: number | null; signal: NodeJS.Signals | null };
/** Resolves when a child has exited and its output has been read to the end ('close', not 'exit'). */
const closed = new WeakMap<ChildProcess, Promise<Exit>>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  closed.set(child, new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))));
  return child;
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  const result = await closed.get(child)!;
  children.delete(child);
  return result;
}

afterEach(async () => {
  await Promise.all([...children].map((child) => killChild(child)));
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `rollcall <args>`, resolved with its exit code and output (a non-zero exit is a result, not an error). */
async function rollcall(...args: string[]): Promise<CliResult> {
  return rollcallWith({}, ...args);
}

/** `rollcall <args>` with `extra` in its environment. */
async function rollcallWith(extra: Record<string, string>, ...args: string[]): Promise<CliResult> {
  let child: ChildProcess | undefined;
  const result = await new Promise<CliResult>((resolve, reject) => {
    child = execFile(process.execPath, [LAUNCHER, ...args], { cwd: dir, env: childEnv(extra), timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      if (typeof code === 'number') resolve({ code, stdout, stderr });
      else reject(new Error(`rollcall ${args.join(' ')} did not finish: ${error?.message}\n${stdout}\n${stderr}`));
    });
    track(child);
  });
  children.delete(child!);
  return result;
}

/** The one JSON object a --json command prints (exactly one line of output). */
function json(result: CliResult): any {
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const lines = result.stdout.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

/**
 * A refusal under --json: exactly one JSON object `{"error":{"code","message"}}` on stdout (where scripts read), the
 * exit status of the README's table, and nothing on stderr.
 */
function jsonError(result: CliResult, status: number, code: string): { error: { code: string; message: string }; [key: string]: unknown } {
  expect({ status: result.code, stdout: result.stdout }).toEqual({ status, stdout: expect.stringMatching(/^\{.*\}\n$/) });
  const body = JSON.parse(result.stdout);
  expect(body.error).toEqual({ code, message: expect.any(String) });
  expect(result.stderr).toBe('');
  return body;
}

/** `token list` as text: the header row, then one row per token, columns aligned and split by two spaces or more. */
function tokenTable(stdout: string): { header: string[]; rows: string[][]; lines: string[] } {
  const lines = stdout.trimEnd().split('\n');
  const [header, ...rows] = lines.map((line) => line.trimEnd().split(/ {2,}/));
  return { header, rows, lines };
}


/** `rollcall serve` on the same database, resolved once GET /healthz answers 200 from it. */
async function serve(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [LAUNCHER, 'serve'], {
      cwd: dir,
      env: childEnv({ HOST: '127.0.0.1', PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  let exited = false;
  void closed.get(child)!.then(() => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`rollcall serve exited before it was healthy:\n${out}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await response.text();
      if (response.status === 200 && !exited) return { child, url, output: () => out };
    } catch {
      /* not listening yet */
    }
    await sleep(POLL_MS);
  }
  throw new Error(`rollcall serve was not healthy within ${HEALTHY_TIMEOUT_MS} ms:\n${out}`);
}

async function graphql(url: string, token: string, query: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: await response.json() };
}

// ---------------------------------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Every secret the CLI has shown: none of them may ever appear again. */
const secrets: string[] = [];
let acme: { tenant: { id: string; slug: string }; scimToken: string; adminToken: string };
let readToken: { token: { id: string; name: string; scope: string; prefix: string }; secret: string };
let dashboardToken: { token: { id: string; name: string; scope: string; prefix: string }; secret: string };

test('tenant create acme --json prints one JSON object: the tenant and its SCIM and admin secrets', async () => {
  acme = json(await rollcall('tenant', 'create', 'acme', '--json'));
  expect(acme).toEqual({
    tenant: { id: expect.stringMatching(UUID), slug: 'acme' },
    scimToken: expect.stringMatching(/^rc_scim_[A-Za-z0-9_-]{40,}$/),
    adminToken: expect.stringMatching(/^rc_admin_[A-Za-z0-9_-]{40,}$/),
  });
  secrets.push(acme.scimToken, acme.adminToken);
});

test('creating the same slug again exits non-zero with a clear message', async () => {
  const again = await rollcall('tenant', 'create', 'acme');
  expect(again.code).toBe(5);
  expect(again.stdout).toBe('');
  expect(again.stderr.trim()).toBe('A tenant with slug "acme" already exists.');

  const againJson = jsonError(await rollcall('tenant', 'create', 'acme', '--json'), 5, 'UNIQUENESS');
  expect(againJson).toEqual({ error: { code: 'UNIQUENESS', message: 'A tenant with slug "acme" already exists.' } });
});

test('a slug the service refuses is an invalid value (exit 3), as text and as JSON', async () => {
  const text = await rollcall('tenant', 'create', 'Not A Slug');
  expect(text).toMatchObject({ code: 3, stdout: '' });
  expect(text.stderr).toContain('"Not A Slug" is not a valid tenant slug');
  expect(text.stderr).not.toContain('Usage:');
  expect(jsonError(await rollcall('tenant', 'create', 'Not A Slug', '--json'), 3, 'INVALID_VALUE').error.message).toBe(text.stderr.trim());
});

test('token create --tenant acme --scope read --json shows a read secret once', async () => {
  readToken = json(await rollcall('token', 'create', '--tenant', 'acme', '--scope', 'read', '--json'));
  expect(readToken).toEqual({
    token: { id: expect.stringMatching(UUID), name: 'read-cli', scope: 'read', prefix: expect.any(String) },
    secret: expect.stringMatching(/^rc_read_[A-Za-z0-9_-]{40,}$/),
  });
  expect(readToken.secret.startsWith(readToken.token.prefix)).toBe(true);
  expect(readToken.token.prefix).toMatch(/^rc_read_.{6}$/);

  dashboardToken = json(await rollcall('token', 'create', '--tenant', 'acme', '--scope', 'read', '--name', 'dashboard', '--json'));
  expect(dashboardToken.token).toMatchObject({ name: 'dashboard', scope: 'read' });
  expect(dashboardToken.secret).toMatch(/^rc_read_/);
  expect(dashboardToken.secret).not.toBe(readToken.secret);
  secrets.push(readToken.secret, dashboardToken.secret);
});

test('token list --tenant acme --json lists the tokens by prefix and never shows a secret', async () => {
  const result = await rollcall('token', 'list', '--tenant', 'acme', '--json');
  const { tokens } = json(result);
  const prefixOf = (secret: string) => secret.slice(0, secret.indexOf('_', 3) + 1 + 6);
  expect(tokens.map((t: any) => [t.name, t.scope, t.prefix]).sort()).toEqual(
    [
      ['admin', 'admin', prefixOf(acme.adminToken)],
      ['dashboard', 'read', prefixOf(dashboardToken.secret)],
      ['read-cli', 'read', prefixOf(readToken.secret)],
      ['scim', 'scim', prefixOf(acme.scimToken)],
    ].sort(),
  );
  for (const token of tokens) {
    expect(Object.keys(token).sort()).toEqual(
      ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'scope', 'tenant'].sort(),
    );
    expect(token).toMatchObject({ tenant: 'acme', revokedAt: null, expiresAt: null });
  }
  // Neither a secret, nor its hidden part, nor its stored hash.
  const everything = result.stdout + result.stderr;
  expect(secrets).toHaveLength(4);
  for (const secret of secrets) {
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(prefixOf(secret).length));
    expect(everything).not.toContain(createHash('sha256').update(secret).digest('hex'));
  }

  const text = await rollcall('token', 'list');
  expect(text).toMatchObject({ code: 0, stderr: '' });
  for (const secret of secrets) expect(text.stdout).not.toContain(secret.slice(prefixOf(secret).length));
  // A header row, then one row per token; every column starts where its heading does.
  const table = tokenTable(text.stdout);
  expect(table.header).toEqual(['TENANT', 'PREFIX', 'SCOPE', 'NAME', 'STATE', 'ID']);
  expect(table.rows).toHaveLength(4);
  const row = table.rows.findIndex((cells) => cells[3] === 'read-cli');
  expect(table.rows[row]).toEqual(['acme', `${readToken.token.prefix}…`, 'read', 'read-cli', 'active', readToken.token.id]);
  table.header.forEach((heading, column) => {
    const start = table.lines[0].indexOf(heading);
    const cell = table.rows[row][column];
    expect(table.lines[row + 1].slice(start, start + cell.length)).toBe(cell);
  });
});

test('token revoke <prefix> revokes exactly that token: listed as revoked, refused by a running server', async () => {
  const revoked = await rollcall('token', 'revoke', readToken.token.prefix);
  expect(revoked).toMatchObject({ code: 0, stderr: '' });
  expect(revoked.stdout.trim()).toBe(`Revoked ${readToken.token.prefix}… (${readToken.token.id}).`);

  const { tokens } = json(await rollcall('token', 'list', '--tenant', 'acme', '--json'));
  const byName = Object.fromEntries(tokens.map((t: any) => [t.name, t]));
  expect(new Date(byName['read-cli'].revokedAt).getTime()).toBeGreaterThan(Date.now() - 5 * 60_000);
  expect(byName['read-cli'].id).toBe(readToken.token.id);
  for (const name of ['admin', 'scim', 'dashboard']) expect(byName[name].revokedAt).toBeNull();

  const server = await serve();
  const query = '{ employees { totalCount } }';
  const refused = await graphql(server.url, readToken.secret, query);
  expect(refused.status).toBe(401);
  expect(refused.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  // The other read token of the same tenant still works.
  const allowed = await graphql(server.url, dashboardToken.secret, query);
  expect(allowed.status).toBe(200);
  expect(allowed.body).toEqual({ data: { employees: { totalCount: 0 } } });
  await killChild(server.child);
});

test('token revoke takes the prefix as token list prints it, with its "…"', async () => {
  const pasted = json(await rollcall('token', 'create', '--tenant', 'acme', '--scope', 'read', '--name', 'pasted', '--json'));
  secrets.push(pasted.secret);
  const listed = tokenTable((await rollcall('token', 'list', '--tenant', 'acme')).stdout).rows.find((cells) => cells[3] === 'pasted')!;
  expect(listed[1]).toBe(`${pasted.token.prefix}…`);

  const revoked = json(await rollcall('token', 'revoke', listed[1], '--json'));
  expect(revoked).toEqual({ token: { id: pasted.token.id, prefix: pasted.token.prefix, revokedAt: expect.any(String) } });
  const { tokens } = json(await rollcall('token', 'list', '--tenant', 'acme', '--json'));
  expect(tokens.find((t: any) => t.id === pasted.token.id).revokedAt).toBe(revoked.token.revokedAt);
  expect(tokens.find((t: any) => t.name === 'dashboard').revokedAt).toBeNull();
});

test('revoking a revoked token says it was already revoked (exit 5) and changes nothing', async () => {
  const before = json(await rollcall('token', 'list', '--tenant', 'acme', '--json')).tokens.find((t: any) => t.id === readToken.token.id);
  expect(before.revokedAt).not.toBeNull();

  const text = await rollcall('token', 'revoke', `${readToken.token.prefix}…`);
  expect(text).toMatchObject({ code: 5, stdout: '' });
  expect(text.stderr.trim()).toBe(
    `Token ${readToken.token.prefix}… (${readToken.token.id}) was already revoked at ${before.revokedAt}; nothing changed.`,
  );

  for (const ref of [readToken.token.prefix, readToken.token.id]) {
    const body = jsonError(await rollcall('token', 'revoke', ref, '--tenant', 'acme', '--json'), 5, 'ALREADY_REVOKED');
    expect(body).toEqual({
      error: { code: 'ALREADY_REVOKED', message: text.stderr.trim() },
      token: { id: readToken.token.id, prefix: readToken.token.prefix, revokedAt: before.revokedAt },
    });
  }
  const after = json(await rollcall('token', 'list', '--tenant', 'acme', '--json')).tokens.find((t: any) => t.id === readToken.token.id);
  expect(after).toEqual(before);
});

test('an unknown token or tenant is "not found" (exit 4) with a clear message, never the usage text', async () => {
  const unknown = await rollcall('token', 'revoke', 'rc_read_zzzzzz…');
  expect(unknown).toMatchObject({ code: 4, stdout: '' });
  expect(unknown.stderr.trim()).toBe('No token with prefix "rc_read_zzzzzz". `rollcall token list` shows each token\'s prefix and id.');

  const inTenant = jsonError(await rollcall('token', 'revoke', 'rc_read_zzzzzz', '--tenant', 'acme', '--json'), 4, 'NOT_FOUND');
  expect(inTenant.error.message).toBe('No token with prefix "rc_read_zzzzzz" in tenant "acme". `rollcall token list` shows each token\'s prefix and id.');
  const byId = jsonError(await rollcall('token', 'revoke', '00000000-0000-4000-8000-000000000000', '--json'), 4, 'NOT_FOUND');
  expect(byId.error.message).toMatch(/^No token with id "00000000-0000-4000-8000-000000000000"\./);

  const noTenant = await rollcall('token', 'list', '--tenant', 'nope');
  expect(noTenant).toMatchObject({ code: 4, stdout: '' });
  expect(noTenant.stderr.trim()).toBe('No tenant with slug "nope". Create it with: rollcall tenant create nope');
  jsonError(await rollcall('token', 'create', '--tenant', 'nope', '--scope', 'read', '--json'), 4, 'NOT_FOUND');
});

test('token create --scope bogus exits 2 with the usage text', async () => {
  const result = await rollcall('token', 'create', '--tenant', 'acme', '--scope', 'bogus');
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('--scope must be one of scim, admin, read.');
  expect(result.stderr).toContain('Usage: rollcall <command>');
  expect(result.stderr).toContain('token create --tenant SLUG --scope scim|admin|read');
});

test('usage errors under --json are JSON on stdout too (exit 2): a bad value, an unknown option or command, no command', async () => {
  expect(jsonError(await rollcall('token', 'create', '--tenant', 'acme', '--scope', 'bogus', '--json'), 2, 'USAGE').error.message).toBe(
    '--scope must be one of scim, admin, read.',
  );
  expect(jsonError(await rollcall('token', 'list', '--bogus', '--json'), 2, 'USAGE').error.message).toContain("Unknown option '--bogus'");
  expect(jsonError(await rollcall('tenant', 'delete', 'acme', '--json'), 2, 'USAGE').error.message).toBe('Unknown command: tenant delete acme');
  expect(jsonError(await rollcall('--json'), 2, 'USAGE').error.message).toBe('No command given.');
  // Without --json, no command prints the usage (exit 2), and --help prints it (exit 0), as before.
  expect(await rollcall()).toMatchObject({ code: 2, stdout: expect.stringContaining('Usage: rollcall <command>') });
  expect(await rollcall('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('Exit codes:') });
});

test('an unreachable database exits 6 and bad configuration exits 8, as JSON with --json', async () => {
  const down = { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/rollcall` };
  const text = await rollcallWith(down, 'token', 'list');
  expect(text).toMatchObject({ code: 6, stdout: '' });
  expect(text.stderr).toMatch(/^The database cannot be reached \(.*ECONNREFUSED.*\)\. Check DATABASE_URL/);
  jsonError(await rollcallWith(down, 'token', 'list', '--json'), 6, 'DATABASE_UNAVAILABLE');

  const config = jsonError(await rollcallWith({ DB_POOL_SIZE: 'many' }, 'token', 'list', '--json'), 8, 'CONFIG');
  expect(config.error.message).toMatch(/^Invalid configuration: DB_POOL_SIZE /);
});

describe('oauth-client --platform: one OAuth client for every tenant (Okta integration network)', () => {
  const REDIRECT = 'https://oin.example.test/oauth2/callback';
  let platform: { oauthClient: { id: string; clientId: string; name: string; redirectUris: string[] }; clientSecret: string };

  test('create --json prints the client id and its secret once; list shows the prefix only', async () => {
    platform = json(await rollcall('oauth-client', 'create', '--platform', '--name', 'Okta (OIN)', '--redirect-uri', REDIRECT, '--json'));
    expect(platform).toEqual({
      oauthClient: {
        id: expect.stringMatching(UUID),
        clientId: expect.stringMatching(/^rc_client_[0-9a-f]{24}$/),
        name: 'Okta (OIN)',
        platform: true,
        grantTypes: ['AUTHORIZATION_CODE'],
        redirectUris: [REDIRECT],
        createdAt: expect.any(String),
        lastUsedAt: null,
      },
      clientSecret: expect.stringMatching(/^rc_secret_[A-Za-z0-9_-]{40,}$/),
    });
    secrets.push(platform.clientSecret);
    const listed = await rollcall('oauth-client', 'list', '--platform', '--json');
    const { oauthClients } = json(listed);
    expect(oauthClients).toEqual([
      expect.objectContaining({ clientId: platform.oauthClient.clientId, tenantGrants: 0, secrets: [expect.objectContaining({ prefix: platform.clientSecret.slice(0, 16) })] }),
    ]);
    const text = await rollcall('oauth-client', 'list', '--platform');
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain(`${platform.oauthClient.clientId}  Okta (OIN)`);
    for (const secret of secrets) expect(listed.stdout + text.stdout).not.toContain(secret);
  });

  test("a tenant's admin approves it on a running server; the tokens provision that tenant", async () => {
    const server = await serve();
    const authorize = await fetch(
      `${server.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: platform.oauthClient.clientId, redirect_uri: REDIRECT, state: 's1' })}`,
      { redirect: 'manual' },
    );
    expect(authorize.status).toBe(302);
    const requestId = authorize.headers.get('location')!.split('/').pop()!;
    const decided = await graphql(server.url, acme.adminToken, `mutation { decideOAuthAuthorization(input: {requestId: "${requestId}", approve: true}) { redirectTo userErrors { code } } }`);
    const code = new URL(decided.body.data.decideOAuthAuthorization.redirectTo).searchParams.get('code')!;
    const basic = Buffer.from(`${platform.oauthClient.clientId}:${platform.clientSecret}`).toString('base64');
    const issued = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }).toString(),
    });
    expect(issued.status).toBe(200);
    const { access_token: accessToken } = (await issued.json()) as { access_token: string };
    const users = await fetch(`${server.url}/scim/v2/Users?count=1`, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(users.status).toBe(200);
    await users.text();
    const grants = await graphql(server.url, acme.adminToken, '{ oauthClients { clientId platform authorizedAt } }');
    expect(grants.body.data.oauthClients).toEqual(
      expect.arrayContaining([{ clientId: platform.oauthClient.clientId, platform: true, authorizedAt: expect.any(String) }]),
    );
    await killChild(server.child);
    expect(json(await rollcall('oauth-client', 'list', '--platform', '--json')).oauthClients[0].tenantGrants).toBe(1);
  });

  test('add-secret, revoke-secret (a second time: exit 5), delete', async () => {
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 24 * 3_600_000).toISOString();
    const added = json(await rollcall('oauth-client', 'add-secret', platform.oauthClient.clientId, '--platform', '--expires-at', expiresAt, '--json'));
    expect(added).toMatchObject({ oauthClient: { id: platform.oauthClient.id }, secret: { expiresAt }, clientSecret: expect.stringMatching(/^rc_secret_/) });
    secrets.push(added.clientSecret);
    const { oauthClients } = json(await rollcall('oauth-client', 'list', '--platform', '--json'));
    expect(oauthClients[0].secrets).toHaveLength(2);
    const first = oauthClients[0].secrets.find((x: { id: string }) => x.id !== added.secret.id);
    const revoked = json(await rollcall('oauth-client', 'revoke-secret', platform.oauthClient.clientId, first.id, '--platform', '--json'));
    expect(revoked.secret).toMatchObject({ id: first.id, revokedAt: expect.any(String) });
    const again = jsonError(await rollcall('oauth-client', 'revoke-secret', platform.oauthClient.clientId, `${first.prefix}…`, '--platform', '--json'), 5, 'ALREADY_REVOKED');
    expect(again.secret).toMatchObject({ id: first.id });
    expect(json(await rollcall('oauth-client', 'list', '--platform', '--json')).oauthClients[0].secrets.map((x: { id: string }) => x.id)).toEqual([added.secret.id]);

    const deleted = await rollcall('oauth-client', 'delete', platform.oauthClient.id, '--platform');
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(deleted.stdout.trim()).toBe(`Deleted platform OAuth client ${platform.oauthClient.clientId} ("Okta (OIN)"); 1 tenant grant(s) and their tokens ended.`);
    expect(json(await rollcall('oauth-client', 'list', '--platform', '--json'))).toEqual({ oauthClients: [] });
    expect((await rollcall('oauth-client', 'list', '--platform')).stdout.trim()).toBe('No platform OAuth clients.');
  });

  test('refusals: no --platform (2), no or a plain-http redirect URI (3), a bad expiry (3), an unknown client (4)', async () => {
    expect(jsonError(await rollcall('oauth-client', 'list', '--json'), 2, 'USAGE').error.message).toMatch(/add --platform/);
    expect(jsonError(await rollcall('oauth-client', 'create', '--platform', '--name', 'x', '--json'), 3, 'REQUIRED').error.message).toMatch(/redirect URI/);
    jsonError(await rollcall('oauth-client', 'create', '--platform', '--name', 'x', '--redirect-uri', 'http://oin.example.test/cb', '--json'), 3, 'INVALID_VALUE');
    jsonError(await rollcall('oauth-client', 'create', '--platform', '--redirect-uri', REDIRECT, '--json'), 2, 'USAGE');
    jsonError(await rollcall('oauth-client', 'add-secret', 'rc_client_00', '--platform', '--expires-at', 'soon', '--json'), 3, 'INVALID_VALUE');
    jsonError(await rollcall('oauth-client', 'add-secret', 'rc_client_00', '--platform', '--expires-at', '2099-01-01', '--json'), 3, 'INVALID_VALUE');
    const missing = await rollcall('oauth-client', 'delete', 'rc_client_00', '--platform');
    expect(missing).toMatchObject({ code: 4, stdout: '' });
    expect(missing.stderr.trim()).toBe('No platform OAuth client "rc_client_00". `rollcall oauth-client list --platform` shows them.');
    jsonError(await rollcall('oauth-client', 'bogus', '--platform', '--json'), 2, 'USAGE');
  });
});

(SERVER_URL ? describe.skip : describe)('the embedded database while a server runs on it', () => {
  test('the CLI refuses it, naming the running process; once the server stops the same command succeeds', async () => {
    const server = await serve();
    const refused = await rollcall('tenant', 'create', 'x');
    expect(refused.code).toBe(7);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim()).toBe(
      `The embedded database in ${dataDir} is in use by a running Rollcall process (pid ${server.child.pid}). ` +
        'Stop that server first, or point DATABASE_URL at a PostgreSQL server to use the CLI while Rollcall runs.',
    );
    expect(jsonError(await rollcall('token', 'list', '--json'), 7, 'DATABASE_IN_USE').error.message).toBe(refused.stderr.trim());
    // The server is unharmed.
    const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(200);

    await killChild(server.child, 'SIGTERM');
    const created = await rollcall('tenant', 'create', 'x');
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^Created tenant "x" \([0-9a-f-]{36}\)\. Tokens are shown only this once:/);
  });
});
