import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, operatorEnv, sleep } from './support/processes';
import { withDatabase } from './support/test-databases';

/**
 * The start-up contract, proven on the real thing: `node bin/rollcall.js serve` as a child process, configured only
 * through its environment, on a database of its own (a new empty PostgreSQL database when DATABASE_URL is set, else
 * the embedded PGlite in a new DATA_DIR, run by the child itself), spoken to over HTTP the way Okta and admin clients do.
 */
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..');
const LAUNCHER = path.join(ROOT, 'bin', 'rollcall.js');
/** The PostgreSQL server the run targets; undefined means the embedded database. */
const SERVER_URL = process.env.DATABASE_URL;
const HEALTHY_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

// ---------------------------------------------------------------------------------------------------------------------
// Databases, processes and HTTP

interface ChildDatabase {
  /** What the child needs to find its database. */
  env: Record<string, string>;
  /** A scratch directory: the children's working directory, and the embedded database's DATA_DIR below it. */
  dir: string;
  dataDir: string;
  /** The PostgreSQL database, when on PostgreSQL (for direct SQL checks). */
  url: string | undefined;
  drop(): Promise<void>;
}

async function onServer(sql: string): Promise<any[]> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A new, empty database (no schema: the child migrates it on start-up). */
async function freshDatabase(): Promise<ChildDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-startup-'));
  const dataDir = path.join(dir, 'data');
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  if (SERVER_URL) {
    const name = `rollcall_startup_${randomBytes(6).toString('hex')}`;
    await onServer(`CREATE DATABASE ${name}`);
    const url = withDatabase(SERVER_URL, name);
    return {
      env: { DATABASE_URL: url, DATA_DIR: dataDir },
      dir,
      dataDir,
      url,
      async drop() {
        await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        removeDir();
      },
    };
  }
  return { env: { DATA_DIR: dataDir }, dir, dataDir, url: undefined, drop: async () => removeDir() };
}

const childEnv = operatorEnv;

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

function exitOf(child: ChildProcess): Promise<Exit> {
  return closed.get(child)!;
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  const result = await exitOf(child);
  children.delete(child);
  return result;
}

afterEach(async () => {
  await Promise.all([...children].map((child) => killChild(child)));
});

interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

class ServerProcess {
  stdout = '';
  stderr = '';
  exit: Exit | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    void exitOf(child).then((exit) => (this.exit = exit));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private describe(): string {
    return `exit: ${JSON.stringify(this.exit)}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Polls GET /healthz until it answers 200 from this child (not from whoever else might hold the port). */
  async waitHealthy(): Promise<void> {
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`rollcall serve exited before it was healthy.\n${this.describe()}`);
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await response.text();
        if (response.status === 200 && !this.exit) break;
      } catch {
        /* not listening yet */
      }
      await sleep(POLL_MS);
    }
    if (Date.now() >= deadline) {
      throw new Error(`rollcall serve was not healthy within ${HEALTHY_TIMEOUT_MS} ms.\n${this.describe()}`);
    }
    // The banner is written before the app answers; give the pipe a moment to deliver it.
    const banner = `Rollcall listening on http://127.0.0.1:${this.port} `;
    for (let i = 0; i < 25 && !this.stdout.includes(banner); i++) await sleep(POLL_MS);
    if (!this.stdout.includes(banner)) throw new Error(`Healthy, but the child printed no banner.\n${this.describe()}`);
  }

  async request(method: string, path: string, options: { token?: string; body?: unknown; contentType?: string } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/scim+json';
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body, text };
  }

  graphql(token: string, query: string, variables?: Record<string, unknown>): Promise<HttpResult> {
    return this.request('POST', '/graphql', { token, body: { query, variables }, contentType: 'application/json' });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL') {
    return killChild(this.child, signal);
  }
}

function spawnRollcall(db: ChildDatabase, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: db.dir,
    env: childEnv({ ...db.env, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child);
}

/** `rollcall serve` on a free port, resolved once it is healthy. */
async function serve(db: ChildDatabase, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const server = new ServerProcess(spawnRollcall(db, ['serve'], { HOST: '127.0.0.1', PORT: String(port), ...env }), port);
  await server.waitHealthy();
  return server;
}

/** A one-shot CLI command on the same database. */
async function cli(db: ChildDatabase, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let child: ChildProcess | undefined;
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    child = execFile(
      process.execPath,
      [LAUNCHER, ...args],
      { cwd: db.dir, env: childEnv(db.env), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(new Error(`rollcall ${args.join(' ')} failed: ${error?.message}\n${stdout}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
    track(child);
  });
  children.delete(child!);
  return result;
}

/** The body Okta sends when an admin assigns a person to the app. */
function oktaUser(userName: string): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    active: true,
  };
}

const FIND = `query Find($s: String) { employees(search: $s) { totalCount nodes { username managedBy } } }`;

async function expectFound(server: ServerProcess, adminToken: string, userName: string): Promise<void> {
  const found = await server.graphql(adminToken, FIND, { s: userName });
  expect(found.status).toBe(200);
  expect(found.body.errors).toBeUndefined();
  expect(found.body.data.employees).toEqual({
    totalCount: 1,
    nodes: [{ username: userName, managedBy: 'IDENTITY_PROVIDER' }],
  });
}

function printed(stdout: string, label: string): string {
  const match = new RegExp(`^\\s*${label}\\s*:\\s*(\\S+)\\s*$`, 'm').exec(stdout);
  if (!match) throw new Error(`No "${label}" line in:\n${stdout}`);
  return match[1];
}

// ---------------------------------------------------------------------------------------------------------------------

describe('first start with nothing set', () => {
  let db: ChildDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all([...children].map((child) => killChild(child)));
    await db?.drop();
  });

  test('creates the demo tenant and prints its tokens once; they and the data survive kill -9 and a restart', async () => {
    const first = await serve(db);
    expect(first.stdout).toContain('Created tenant "demo"');
    const scimToken = printed(first.stdout, 'SCIM token');
    const adminToken = printed(first.stdout, 'Admin token');
    expect(scimToken).toMatch(/^rc_scim_[A-Za-z0-9_-]{40,}$/);
    expect(adminToken).toMatch(/^rc_admin_[A-Za-z0-9_-]{40,}$/);
    expect(printed(first.stdout, 'SCIM base URL')).toBe(`${first.url}/scim/v2`);
    expect(printed(first.stdout, 'GraphQL URL')).toBe(`${first.url}/graphql`);
    expect(first.stdout).toContain(`Admin console : ${first.url}/admin (sign in with the admin token)`);

    const ready = await first.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('content-type')).toMatch(/^application\/json/);
    expect(ready.body).toEqual({ status: 'ready', database: 'reachable' });

    const userName = `ada-${randomBytes(4).toString('hex')}@example.com`;
    const created = await first.request('POST', '/scim/v2/Users', { token: scimToken, body: oktaUser(userName) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userName, active: true, id: expect.any(String) });
    await expectFound(first, adminToken, userName);

    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');

    const second = await serve(db);
    expect(second.stdout).not.toContain('Created tenant');
    expect(second.stdout).not.toMatch(/rc_(scim|admin|read)_/);
    expect(second.stderr).toBe('');
    const readyAgain = await second.request('GET', '/readyz');
    expect(readyAgain.status).toBe(200);
    expect(readyAgain.body).toEqual({ status: 'ready', database: 'reachable' });
    // The tokens printed by the first start still work, on both surfaces, and the employee survived.
    await expectFound(second, adminToken, userName);
    const fetched = await second.request('GET', `/scim/v2/Users/${created.body.id}`, { token: scimToken });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: created.body.id, userName });

    // SIGTERM: stop accepting, finish the request in flight, close the pool (and on the embedded database release its
    // lock), exit 0. The in-flight create's body arrives slowly: the server has the request, not all of it, at SIGTERM.
    const lateUser = `in-flight-${randomBytes(4).toString('hex')}@example.com`;
    const body = Buffer.from(JSON.stringify(oktaUser(lateUser)));
    const inFlight = http.request({
      host: '127.0.0.1',
      port: second.port,
      method: 'POST',
      path: '/scim/v2/Users',
      headers: { Authorization: `Bearer ${scimToken}`, 'Content-Type': 'application/scim+json', 'Content-Length': body.length },
    });
    const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
      inFlight.on('error', reject);
      inFlight.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
      });
    });
    inFlight.write(body.subarray(0, 20));
    await sleep(300);
    const stopped = second.kill('SIGTERM');
    await sleep(300);
    // No longer accepting: a new connection is refused while the request in flight is still open. (fetch could reuse a
    // kept-alive connection, which is answered with `Connection: close` after SIGTERM: see shutdown.test.ts.)
    const connecting = new Promise<void>((resolve, reject) => {
      const socket = net.connect(second.port, '127.0.0.1', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
    await expect(connecting).rejects.toThrow(/ECONNREFUSED/);
    expect(second.child.exitCode).toBeNull();
    inFlight.end(body.subarray(20));
    const finished = Date.now();
    expect(await answer).toMatchObject({ status: 201, body: { userName: lateUser } });
    expect(await stopped).toEqual({ code: 0, signal: null });
    // Bounded, and not by the client: Node's agent would itself drop the idle keep-alive connection after 5 s.
    expect(Date.now() - finished).toBeLessThan(4_000);
    expect(second.stdout).toContain('SIGTERM received');
    if (db.env.DATA_DIR) expect(fs.existsSync(path.join(db.env.DATA_DIR, 'rollcall.lock'))).toBe(false);
  });
});

(SERVER_URL ? describe : describe.skip)('several worker processes (WEB_CONCURRENCY=2, PostgreSQL)', () => {
  let db: ChildDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all([...children].map((child) => killChild(child)));
    await db?.drop();
  });

  test('the primary bootstraps once, two workers serve the port, SIGTERM stops them all with exit 0', async () => {
    const server = await serve(db, { WEB_CONCURRENCY: '2' });
    expect(server.stdout).toContain('2 workers');
    const scimToken = printed(server.stdout, 'SCIM token');
    const adminToken = printed(server.stdout, 'Admin token');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.request('POST', '/scim/v2/Users', { token: scimToken, body: oktaUser(`w${i}@example.com`) })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    await expectFound(server, adminToken, 'w7@example.com');
    const workers = fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(server.child.pid);
        } catch {
          return false;
        }
      });
    expect(workers).toHaveLength(2);
    const stopped = await server.kill('SIGTERM');
    expect(stopped).toEqual({ code: 0, signal: null });
  });
});

describe('bootstrap variables', () => {
  let db: ChildDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all([...children].map((child) => killChild(child)));
    await db?.drop();
  });

  test('make the given tokens valid for the given tenant, idempotently across restarts, without a demo tenant', async () => {
    const scimToken = `acme-scim-${randomBytes(24).toString('base64url')}`;
    const adminToken = `acme-admin-${randomBytes(24).toString('base64url')}`;
    expect(scimToken.length).toBeGreaterThanOrEqual(40);
    expect(adminToken.length).toBeGreaterThanOrEqual(40);
    const env = {
      ROLLCALL_BOOTSTRAP_TENANT: 'acme',
      ROLLCALL_BOOTSTRAP_SCIM_TOKEN: scimToken,
      ROLLCALL_BOOTSTRAP_ADMIN_TOKEN: adminToken,
    };

    const first = await serve(db, env);
    expect(first.stdout).toContain('Bootstrap tenant "acme" created');
    expect(first.stdout).not.toContain('Created tenant "demo"');
    // Operator-chosen secrets are never echoed.
    expect(first.stdout + first.stderr).not.toContain(scimToken);
    expect(first.stdout + first.stderr).not.toContain(adminToken);

    const userName = `grace-${randomBytes(4).toString('hex')}@example.com`;
    const created = await first.request('POST', '/scim/v2/Users', { token: scimToken, body: oktaUser(userName) });
    expect(created.status).toBe(201);
    await expectFound(first, adminToken, userName);
    // Each token got its own scope: the SCIM token is no GraphQL token, the admin token no SCIM token.
    const scimOnGraphql = await first.graphql(scimToken, FIND, { s: userName });
    expect(scimOnGraphql.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const adminOnScim = await first.request('GET', `/scim/v2/Users/${created.body.id}`, { token: adminToken });
    expect(adminOnScim.status).toBe(403);
    await first.kill('SIGKILL');

    const second = await serve(db, env);
    expect(second.stdout).toContain('Bootstrap tenant "acme" present');
    expect(second.stdout).not.toContain('Created tenant');
    expect(second.stderr).toBe('');
    await expectFound(second, adminToken, userName);
    const another = `hopper-${randomBytes(4).toString('hex')}@example.com`;
    const createdAgain = await second.request('POST', '/scim/v2/Users', { token: scimToken, body: oktaUser(another) });
    expect(createdAgain.status).toBe(201);
    await expectFound(second, adminToken, another);
    await second.kill('SIGKILL');

    // Exactly one tenant, acme, with exactly the two bootstrap tokens: no demo tenant, no duplicates from the restart.
    const listed = await cli(db, ['token', 'list', '--json']);
    expect(listed.code).toBe(0);
    const { tokens } = JSON.parse(listed.stdout);
    expect(tokens.map((t: any) => [t.tenant, t.name, t.scope, t.revokedAt]).sort()).toEqual([
      ['acme', 'bootstrap-admin', 'admin', null],
      ['acme', 'bootstrap-scim', 'scim', null],
    ]);
    if (db.url) {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        expect((await client.query('SELECT slug FROM tenants')).rows).toEqual([{ slug: 'acme' }]);
      } finally {
        await client.end();
      }
    }
  });
});

describe.each<{ variable: string; env: Record<string, string>; message: string }>([
  {
    variable: 'PORT',
    env: { PORT: 'notanumber' },
    message: 'Invalid configuration: PORT must be a whole number, got "notanumber"',
  },
  {
    variable: 'ROLLCALL_BOOTSTRAP_SCIM_TOKEN',
    env: { ROLLCALL_BOOTSTRAP_TENANT: 'acme', ROLLCALL_BOOTSTRAP_SCIM_TOKEN: 'short' },
    message: 'Invalid configuration: ROLLCALL_BOOTSTRAP_SCIM_TOKEN must be at least 32 characters long',
  },
])('a bad $variable', ({ env, message }) => {
  test('stops start-up with a message naming it, before the database is touched', async () => {
    // The embedded database's directory: start-up must stop before creating it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-startup-'));
    try {
      const db: ChildDatabase = { env: { DATA_DIR: path.join(dir, 'data') }, dir, dataDir: path.join(dir, 'data'), url: undefined, drop: async () => undefined };
      const server = new ServerProcess(spawnRollcall(db, ['serve'], { HOST: '127.0.0.1', PORT: String(await freePort()), ...env }), 0);
      const timeout = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
      const exit = await exitOf(server.child);
      clearTimeout(timeout);
      children.delete(server.child);
      expect(exit).toEqual({ code: 2, signal: null });
      expect(server.stderr.trim()).toBe(message);
      expect(server.stdout).not.toContain('Rollcall listening');
      expect(fs.existsSync(db.dataDir)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the event loop nice value (SERVER_NICE)', () => {
  let db: ChildDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await Promise.all([...children].map((child) => killChild(child)));
    await db?.drop();
  });

  /** The nice value of each thread of a process, the event loop's (the thread whose id is the pid) first. */
  function threadNices(pid: number): { loop: number; others: number[] } {
    const niceOf = (tid: string) => {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis start at field 3 (state); nice is field 19.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const tids = fs.readdirSync(`/proc/${pid}/task`);
    return { loop: niceOf(String(pid)), others: tids.filter((tid) => tid !== String(pid)).map(niceOf) };
  }

  test('a value given is the event loop thread\'s alone; by default a server with its database here asks for -10', async () => {
    const inherited = os.getPriority();
    // Raising a nice value needs no privilege, so this part holds for any user.
    const given = await serve(db, { SERVER_NICE: String(Math.min(inherited + 7, 19)) });
    const nices = threadNices(given.child.pid!);
    expect(nices.loop).toBe(Math.min(inherited + 7, 19));
    // V8's threads started before the value was set keep the one the process was started with.
    expect(nices.others).toContain(inherited);
    await given.kill('SIGTERM');

    // Lowering it needs root (or CAP_SYS_NICE): as root the event loop runs at -10; otherwise it stays and says why.
    const auto = await serve(db);
    if (process.getuid?.() === 0) {
      expect(threadNices(auto.child.pid!).loop).toBe(-10);
      expect(auto.stdout).toContain('event loop at nice -10 (SERVER_NICE)');
    } else {
      expect(threadNices(auto.child.pid!).loop).toBe(inherited);
      expect(auto.stdout).toContain('needs root or CAP_SYS_NICE');
    }
    await auto.kill('SIGTERM');
  });
});
