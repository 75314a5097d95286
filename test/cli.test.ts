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
  let child: ChildProcess | undefined;
  const result = await new Promise<CliResult>((resolve, reject) => {
    child = execFile(process.execPath, [LAUNCHER, ...args], { cwd: dir, env: childEnv(), timeout: 60_000 }, (error, stdout, stderr) => {
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
  expect(again.code).toBe(1);
  expect(again.stdout).toBe('');
  expect(again.stderr.trim()).toBe('A tenant with slug "acme" already exists.');

  const againJson = await rollcall('tenant', 'create', 'acme', '--json');
  expect(againJson.code).toBe(1);
  expect(againJson.stdout).toBe('');
  expect(JSON.parse(againJson.stderr)).toEqual({ error: 'A tenant with slug "acme" already exists.' });
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
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`acme  ${readToken.token.prefix}…  read   read-cli  active  ${readToken.token.id}`);
  for (const secret of secrets) expect(text.stdout).not.toContain(secret.slice(prefixOf(secret).length));
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

test('token create --scope bogus exits 2 with the usage text', async () => {
  const result = await rollcall('token', 'create', '--tenant', 'acme', '--scope', 'bogus');
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('--scope must be one of scim, admin, read.');
  expect(result.stderr).toContain('Usage: rollcall <command>');
  expect(result.stderr).toContain('token create --tenant SLUG --scope scim|admin|read');
});

(SERVER_URL ? describe.skip : describe)('the embedded database while a server runs on it', () => {
  test('the CLI refuses it, naming the running process; once the server stops the same command succeeds', async () => {
    const server = await serve();
    const refused = await rollcall('tenant', 'create', 'x');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim()).toBe(
      `The embedded database in ${dataDir} is in use by a running Rollcall process (pid ${server.child.pid}). ` +
        'Stop that server first, or point DATABASE_URL at a PostgreSQL server to use the CLI while Rollcall runs.',
    );
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
