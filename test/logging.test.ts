import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, sleep } from './support/processes';
import { withDatabase } from './support/test-databases';

/**
 * What the logs of a real server hold: `node bin/rollcall.js serve` as a child process at LOG_LEVEL=debug, on a fresh
 * database (so it prints the demo tokens, the one secret ever printed), driven over HTTP with valid, invalid, Basic
 * and garbage credentials, refused input and, on PostgreSQL, an internal error. Its whole output is then read: after
 * the human banner every line is JSON, each request has one access-log line under the id the client saw, and no
 * token (valid or not) and no Authorization value is anywhere but in the banner.
 */
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..');
const SERVER_URL = process.env.DATABASE_URL;

async function onServer(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Exchange {
  name: string;
  status: number;
  requestId: string;
  body: any;
  text: string;
}

let dir: string;
let databaseUrl: string | undefined;
let databaseName: string | undefined;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';
let base: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-logging-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!['DATABASE_URL', 'DATA_DIR', 'NODE_ENV', 'LOG_LEVEL', 'PORT', 'HOST', 'PUBLIC_URL'].includes(key) && !key.startsWith('ROLLCALL_')) {
      env[key] = value;
    }
  }
  if (SERVER_URL) {
    databaseName = `rollcall_logging_${randomBytes(6).toString('hex')}`;
    await onServer(SERVER_URL, `CREATE DATABASE ${databaseName}`);
    databaseUrl = withDatabase(SERVER_URL, databaseName);
    env.DATABASE_URL = databaseUrl;
  } else {
    env.DATA_DIR = path.join(dir, 'data');
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [path.join(ROOT, 'bin', 'rollcall.js'), 'serve'], {
    cwd: dir,
    env: { ...env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = Date.now() + 45_000;
  while (!/Admin token\s*:/.test(stdout) || !stdout.includes('Find it over GraphQL')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`The server did not start.\n${stdout}\n${stderr}`);
    await sleep(100);
  }
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (databaseName && SERVER_URL) await onServer(SERVER_URL, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  fs.rmSync(dir, { recursive: true, force: true });
});

function printed(label: string): string {
  const match = new RegExp(`^\\s*${label}\\s*:\\s*(\\S+)\\s*$`, 'm').exec(stdout);
  if (!match) throw new Error(`No "${label}" line in:\n${stdout}`);
  return match[1];
}

async function call(name: string, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Exchange> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { name, status: response.status, requestId: response.headers.get('x-request-id') ?? '', body: parsed, text };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const SCIM_JSON = { 'Content-Type': 'application/scim+json' };
const GQL_JSON = { 'Content-Type': 'application/json' };

test('JSON lines after the banner, one access-log line per request under the id the client saw, and no secret', async () => {
  const scimToken = printed('SCIM token');
  const adminToken = printed('Admin token');
  const invalidScim = `rc_scim_${randomBytes(24).toString('base64url')}`;
  const invalidAdmin = `rc_admin_${randomBytes(24).toString('base64url')}`;
  const garbage = `Garbage ${randomBytes(12).toString('hex')} !!!`;
  const unknownSecret = `no-prefix-${randomBytes(16).toString('hex')}`;
  const exchanges: Exchange[] = [];
  const run = async (exchange: Promise<Exchange>, status: number) => {
    const result = await exchange;
    expect({ name: result.name, status: result.status }).toEqual({ name: result.name, status });
    exchanges.push(result);
    return result;
  };

  const user = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'logged.ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ primary: true, value: 'logged.ada@example.com', type: 'work' }],
    active: true,
  };
  const created = await run(call('scim create', 'POST', '/scim/v2/Users', { ...SCIM_JSON, Authorization: `Bearer ${scimToken}` }, user), 201);
  await run(call('scim get, Basic auth', 'GET', `/scim/v2/Users/${created.body.id}`, { Authorization: basic('okta', scimToken) }), 200);
  const chosenId = `client-chosen-${randomBytes(4).toString('hex')}`;
  const chosen = await run(call('scim list, caller id', 'GET', '/scim/v2/Users?count=1', { Authorization: `Bearer ${scimToken}`, 'X-Request-Id': chosenId }), 200);
  expect(chosen.requestId).toBe(chosenId);
  await run(call('scim invalid bearer', 'GET', '/scim/v2/Users', { Authorization: `Bearer ${invalidScim}` }), 401);
  await run(call('scim invalid basic', 'GET', '/scim/v2/Users', { Authorization: basic('okta', invalidScim) }), 401);
  await run(call('scim bare unknown', 'GET', '/scim/v2/Users', { Authorization: unknownSecret }), 401);
  await run(call('scim garbage', 'GET', '/scim/v2/Users', { Authorization: garbage }), 401);
  await run(call('scim admin token', 'GET', '/scim/v2/Users', { Authorization: `Bearer ${adminToken}` }), 403);
  await run(call('scim invalid value', 'POST', '/scim/v2/Users', { ...SCIM_JSON, Authorization: `Bearer ${scimToken}` }, { ...user, userName: '' }), 400);
  await run(call('scim bad json', 'POST', '/scim/v2/Users', { ...SCIM_JSON, Authorization: `Bearer ${scimToken}` }, '{"userName": '), 400);
  // Refused by Node's HTTP parser, before Express: still an id, an error body and an access-log line.
  await run(call('scim oversized headers', 'GET', '/scim/v2/Users', { Authorization: `Bearer ${scimToken}`, 'X-Filler': 'x'.repeat(20_000) }), 431);
  await run(call('scim duplicate', 'POST', '/scim/v2/Users', { ...SCIM_JSON, Authorization: `Bearer ${scimToken}` }, user), 409);

  const gql = (name: string, authorization: string, query: string, status: number) =>
    run(call(name, 'POST', '/graphql', { ...GQL_JSON, Authorization: authorization }, { query }), status);
  const minted = await gql('graphql create read token', `Bearer ${adminToken}`, 'mutation { createAccessToken(input: { name: "logs", scope: READ }) { secret userErrors { code } } }', 200);
  const readToken = minted.body.data.createAccessToken.secret as string;
  expect(readToken).toMatch(/^rc_read_/);
  await gql('graphql read', `Bearer ${readToken}`, '{ employees(search: "logged") { totalCount } }', 200);
  await gql('graphql invalid bearer', `Bearer ${invalidAdmin}`, '{ employees { totalCount } }', 401);
  await gql('graphql garbage', garbage, '{ employees { totalCount } }', 401);
  await gql('graphql basic', basic('admin', invalidAdmin), '{ employees { totalCount } }', 401);
  await gql('graphql scim token', `Bearer ${scimToken}`, '{ employees { totalCount } }', 403);
  await gql('graphql invalid field', `Bearer ${adminToken}`, '{ employees { nope } }', 400);
  // Client mistakes, not faults: none is logged at error level, and the attacker's text is nowhere in the logs.
  const attackerText = `attacker-${randomBytes(6).toString('hex')}`;
  const forged = Buffer.from(JSON.stringify([attackerText, attackerText])).toString('base64url');
  for (const connection of ['employees', 'groups']) {
    const forgedAnswer = await gql(`graphql forged ${connection} cursor`, `Bearer ${readToken}`, `{ ${connection}(after: "${forged}") { totalCount } }`, 200);
    expect(forgedAnswer.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  }
  const apq = await run(
    call('graphql apq mismatch', 'POST', '/graphql', { ...GQL_JSON, Authorization: `Bearer ${readToken}` }, {
      query: '{ employees { totalCount } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
    }),
    400,
  );
  expect(apq.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  const subscription = await gql('graphql subscription', `Bearer ${readToken}`, 'subscription { events { id } }', 400);
  expect(subscription.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  const surrogate = await run(
    call('graphql lone surrogate', 'POST', '/graphql', { ...GQL_JSON, Authorization: `Bearer ${adminToken}` }, {
      query: 'mutation($input: CreateRoleInput!) { createRole(input: $input) { userErrors { code } } }',
      variables: { input: { name: `${attackerText}\ud800` } },
    }),
    200,
  );
  expect(surrogate.body.data.createRole.userErrors.length).toBe(1);

  let internal: Exchange[] = [];
  if (databaseUrl) {
    // A real fault: the table is gone under the running server. Clients get an id, never the database's words.
    await onServer(databaseUrl, 'ALTER TABLE employees RENAME TO employees_away');
    try {
      internal = [
        await run(call('scim internal', 'GET', '/scim/v2/Users?count=1', { Authorization: `Bearer ${scimToken}` }), 500),
        await gql('graphql internal', `Bearer ${adminToken}`, '{ employees { totalCount } }', 200),
      ];
    } finally {
      await onServer(databaseUrl, 'ALTER TABLE employees_away RENAME TO employees');
    }
    for (const exchange of internal) {
      expect(exchange.text).not.toMatch(/relation|does not exist|SELECT|employees_away/);
      expect(exchange.text).toContain(exchange.requestId);
    }
    expect(internal[1].body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: internal[1].requestId });
  }

  // Every error body names the request id of the response header.
  for (const exchange of exchanges.filter((e) => e.status >= 400 || e.body?.errors)) {
    if (exchange.name.startsWith('graphql')) {
      expect(exchange.body.errors.length).toBeGreaterThan(0);
      for (const error of exchange.body.errors) expect({ name: exchange.name, id: error.extensions?.requestId }).toEqual({ name: exchange.name, id: exchange.requestId });
    } else {
      expect({ name: exchange.name, id: exchange.body?.requestId }).toEqual({ name: exchange.name, id: exchange.requestId });
    }
  }

  child!.kill('SIGTERM');
  const exit = await new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code)));
  expect(exit).toBe(0);

  // The banner: the human lines from "Rollcall listening on" to the GraphQL curl; everything else is JSON.
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const isJson = (line: string) => {
    try {
      return typeof JSON.parse(line) === 'object';
    } catch {
      return false;
    }
  };
  const first = lines.findIndex((line) => line.startsWith('Rollcall listening on '));
  const last = lines.length - 1 - [...lines].reverse().findIndex((line) => !isJson(line));
  expect(first).toBeGreaterThanOrEqual(0);
  expect(lines.slice(0, first).every(isJson)).toBe(true);
  expect(lines[last]).toMatch(/^\s*-d '\{"query":/);
  const banner = lines.slice(first, last + 1);
  expect(banner.length).toBeLessThan(25);
  expect(banner.some(isJson)).toBe(false);
  expect(stderr.split('\n').filter((line) => line.trim() !== '').every(isJson)).toBe(true);
  const logs = [...lines.slice(0, first), ...lines.slice(last + 1), ...stderr.split('\n').filter((line) => line.trim() !== '')];
  const records = logs.map((line) => JSON.parse(line) as Record<string, any>);

  // Nothing that authenticates, valid or presented in vain, in any log line; the banner alone shows the demo tokens.
  const logText = logs.join('\n');
  const presented = [scimToken, adminToken, readToken, invalidScim, invalidAdmin, garbage, unknownSecret, basic('okta', scimToken), basic('okta', invalidScim), basic('admin', invalidAdmin)];
  for (const secret of presented) {
    for (const part of [secret, ...secret.split(' ').filter((p) => p.length >= 8)]) expect(logText).not.toContain(part);
  }
  expect(logText).not.toMatch(/rc_(scim|admin|read)_[A-Za-z0-9_-]{8,}/);
  expect(logText).not.toMatch(/authorization|bearer|basic /i);
  expect(banner.join('\n')).toContain(scimToken);
  expect(banner.join('\n')).toContain(adminToken);

  // One access-log line per request, under the id its response carried, with the route template and status.
  for (const exchange of [...exchanges]) {
    const access = records.filter((r) => r.msg === 'request' && r.requestId === exchange.requestId);
    expect({ name: exchange.name, lines: access.length }).toEqual({ name: exchange.name, lines: 1 });
    expect(access[0]).toMatchObject({ level: 'info', status: exchange.status });
    if (exchange.status !== 431) expect(typeof access[0].durationMs).toBe('number');
    const route: Record<string, string> = { 'scim get, Basic auth': '/scim/v2/Users/:id', 'scim oversized headers': 'unparsed' };
    expect(access[0].route).toBe(route[exchange.name] ?? (exchange.name.startsWith('graphql') ? '/graphql' : '/scim/v2/Users'));
    if (exchange.status < 400) expect(typeof access[0].tenantId).toBe('string');
  }
  const createLine = records.find((r) => r.msg === 'request' && r.requestId === created.requestId)!;
  expect(createLine).toMatchObject({ method: 'POST', route: '/scim/v2/Users', status: 201 });
  expect(JSON.stringify(createLine)).not.toContain(created.body.id);
  // No request body or personal data in the logs.
  expect(logText).not.toContain('logged.ada@example.com');

  // Internal errors: logged once at error, with the request id and the stack.
  for (const exchange of internal) {
    const errors = records.filter((r) => r.level === 'error' && r.requestId === exchange.requestId);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0].err.stack).toMatch(/\n\s+at /);
    expect(errors[0].err.parameters).toBeUndefined();
  }
  // Refusals are not errors of the server: nothing at error level apart from the provoked faults.
  const internalIds = new Set(internal.map((e) => e.requestId));
  expect(records.filter((r) => r.level === 'error' && !internalIds.has(r.requestId))).toEqual([]);
  expect(logText).not.toContain(attackerText);
  const mistakes = new Set(exchanges.filter((e) => /forged|apq|subscription|surrogate/.test(e.name)).map((e) => e.requestId));
  for (const record of records.filter((r) => mistakes.has(r.requestId))) {
    expect(['debug', 'info', 'warn']).toContain(record.level);
    expect(JSON.stringify(record)).not.toMatch(/\\n\s+at /);
  }
  expect(records.some((r) => r.signal === 'SIGTERM')).toBe(true);
});
