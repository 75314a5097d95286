import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { isDatabaseUnavailable } from '../src/services/errors';
import { PrivatePostgres } from './support/private-postgres';
import { HttpResult, ServerProcess, freePort, oktaUser, sleep } from './support/processes';
import { createTestDatabase } from './support/test-databases';

/**
 * PostgreSQL stopped under traffic, on the real thing: `rollcall serve` as a child process on a private PostgreSQL
 * cluster of this test's own (stopping the machine's shared server would break the test files running beside this
 * one), SCIM and GraphQL requests in flight while `pg_ctl stop -m fast` runs, then the cluster started again.
 *
 * Proves: every answer during the outage is a 503 with Retry-After and a SCIM error body / GraphQL error, within a
 * bound; the process stays up; it serves again by itself when PostgreSQL is back; no acknowledged create is lost.
 */
jest.setTimeout(120_000);

/** Longest any request may take to be answered, outage or not (the pool gives up connecting after 5 s). */
const ANSWER_BOUND_MS = 10_000;
const WORKERS = 4;
/** The authentication cache's lifetime (AUTH_CACHE_MS in src/services/token.service.ts). */
const AUTH_CACHE_MS = 10_000;

const reason = !process.env.DATABASE_URL
  ? 'DATABASE_URL is unset (runs in the PostgreSQL pass of CI)'
  : PrivatePostgres.unavailableReason();
if (reason && process.env.DATABASE_URL && process.env.CI) {
  // In CI's PostgreSQL pass this guarantee must be proven, not skipped.
  throw new Error(`The outage test cannot run: ${reason}.`);
}

interface Answer extends HttpResult {
  kind: 'scim-create' | 'scim-get' | 'graphql';
  startedAt: number;
  userName?: string;
}

(reason ? describe.skip : describe)(`PostgreSQL stopped under traffic${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let pg: PrivatePostgres;
  let server: ServerProcess;
  const scimToken = `outage-scim-${randomBytes(24).toString('base64url')}`;
  const adminToken = `outage-admin-${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    pg = await PrivatePostgres.create();
    server = await ServerProcess.spawn({
      DATABASE_URL: pg.url,
      DB_POOL_SIZE: '4',
      ROLLCALL_BOOTSTRAP_TENANT: 'outage',
      ROLLCALL_BOOTSTRAP_SCIM_TOKEN: scimToken,
      ROLLCALL_BOOTSTRAP_ADMIN_TOKEN: adminToken,
    });
    await server.waitReady();
  });
  afterAll(async () => {
    await server?.kill('SIGKILL');
    await pg?.destroy();
  });

  test('answers 503 + Retry-After within the bound, stays up, serves again by itself, loses no acknowledged write', async () => {
    const answers: Answer[] = [];
    let running = true;
    let sequence = 0;
    const worker = async (w: number) => {
      while (running) {
        const n = sequence++;
        const startedAt = Date.now();
        const kind = (['scim-create', 'scim-get', 'graphql'] as const)[(n + w) % 3];
        const userName = kind === 'scim-create' ? `outage-${n}@example.com` : undefined;
        let result: HttpResult;
        if (kind === 'scim-create') result = await server.scim('POST', '/Users', scimToken, oktaUser(userName!));
        else if (kind === 'scim-get') result = await server.scim('GET', '/Users?count=5', scimToken);
        else result = await server.graphql(adminToken, '{ employees(first: 5) { nodes { id username } } }');
        answers.push({ ...result, kind, startedAt, userName });
        await sleep(20);
      }
    };
    // Tokens no request has used yet, so not in the auth cache: during the outage their authentication needs the
    // database, and must answer 503 (a 401 would tell the IdP its credentials are wrong).
    const fresh: Record<'SCIM' | 'ADMIN', string> = { SCIM: '', ADMIN: '' };
    for (const scope of ['SCIM', 'ADMIN'] as const) {
      const created = await server.graphql(
        adminToken,
        `mutation { createAccessToken(input: { name: "fresh-${scope}", scope: ${scope} }) { secret userErrors { message } } }`,
      );
      fresh[scope] = created.body.data.createAccessToken.secret;
    }
    const traffic = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    await sleep(1_000);
    const stopping = Date.now();
    await pg.stop();
    const stopped = Date.now();
    // The outage lasts a few seconds of traffic; meanwhile the process answers its probes.
    await sleep(1_500);
    expect(server.alive).toBe(true);
    expect((await server.request('GET', '/healthz')).status).toBe(200);
    const notReady = await server.request('GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBe('5');
    const uncached = [
      { kind: 'scim-get' as const, startedAt: Date.now(), ...(await server.scim('GET', '/Users?count=1', fresh.SCIM)) },
      { kind: 'graphql' as const, startedAt: Date.now(), ...(await server.graphql(fresh.ADMIN, '{ employees(first: 1) { totalCount } }')) },
    ];
    expect(uncached.map((a) => a.status)).toEqual([503, 503]);
    answers.push(...uncached);
    // The outage outlasts the authentication cache, so the traffic's own token must be looked up again: its later
    // 503s can only be attributed to its tenant by what the process remembers of it (issue 17, point 6).
    await sleep(Math.max(1_000, stopped + AUTH_CACHE_MS + 2_000 - Date.now()));
    const restarting = Date.now();
    await pg.start();

    // Serves again without a restart: a create, then a get of it.
    let created: HttpResult | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      created = await server.scim('POST', '/Users', scimToken, oktaUser(`after-${randomBytes(4).toString('hex')}@example.com`));
      if (created.status === 201) break;
      await sleep(200);
    }
    running = false;
    await traffic;
    expect(created?.status).toBe(201);
    const fetched = await server.scim('GET', `/Users/${created!.body.id}`, scimToken);
    expect(fetched.status).toBe(200);
    expect(fetched.body.userName).toBe(created!.body.userName);
    const found = await server.graphql(adminToken, '{ employees(first: 1) { totalCount } }');
    expect(found.status).toBe(200);
    expect(server.alive).toBe(true);

    // Every answer, before, during and after the outage: a success or a well-formed 503, never a 500, within the bound.
    expect(answers.filter((a) => ![200, 201, 503].includes(a.status)).map((a) => `${a.kind} ${a.status} ${a.text}`)).toEqual([]);
    expect(answers.filter((a) => a.ms >= ANSWER_BOUND_MS).map((a) => `${a.kind} ${a.status} after ${a.ms} ms`)).toEqual([]);
    for (const answer of answers) {
      if (answer.status !== 503) continue;
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(answer.text).not.toMatch(/ECONNREFUSED|terminat|57P0|QueryFailed|connect/i);
      if (answer.kind === 'graphql') {
        expect(answer.body.errors).toEqual([
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 }) }),
        ]);
      } else {
        expect(answer.headers.get('content-type')).toMatch(/^application\/scim\+json/);
        expect(answer.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
        expect(answer.body.detail).toMatch(/database is unavailable/);
      }
    }
    // Requests sent while PostgreSQL was down got nothing but 503s, on every surface and kind of request.
    const during = answers.filter((a) => a.startedAt >= stopped && a.startedAt + a.ms <= restarting);
    expect(new Set(during.map((a) => a.status))).toEqual(new Set([503]));
    expect(new Set(during.map((a) => a.kind))).toEqual(new Set(['scim-create', 'scim-get', 'graphql']));
    // Traffic ran on both sides of the outage.
    expect(answers.some((a) => a.startedAt + a.ms < stopping && a.status === 201)).toBe(true);
    expect(answers.some((a) => a.startedAt > restarting && a.status !== 503)).toBe(true);

    // No acknowledged create was lost: every 201 has its row.
    const acknowledged = answers.filter((a) => a.kind === 'scim-create' && a.status === 201).map((a) => a.userName!);
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    try {
      const rows = (await client.query<{ username: string }>('SELECT username FROM employees')).rows.map((r) => r.username);
      expect(acknowledged.filter((u) => !rows.includes(u))).toEqual([]);

      // Nor any provisioning-log entry: the entries of requests answered while PostgreSQL was down (their 503s, which
      // is what an IdP admin looks for) are kept and written once it is back, as are those of every acknowledged create.
      // That includes the 503s of requests whose token was no longer in the authentication cache: they are recorded
      // in the tenant the token last authenticated as (without a userName: the body is not read before
      // authentication), so the refusals are matched by request id.
      const refused = answers.filter((a) => a.kind === 'scim-create' && a.status === 503).map((a) => a.body.requestId as string);
      expect(refused.length).toBeGreaterThan(0);
      const uncachedRefusals = answers.filter((a) => a.kind === 'scim-create' && a.status === 503 && a.startedAt > stopped + AUTH_CACHE_MS);
      expect(uncachedRefusals.length).toBeGreaterThan(0);
      const tenantId = (await client.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'outage'`)).rows[0].id;
      const missing = async () => {
        const logged = (
          await client.query<{ user_name: string | null; request_id: string; status: number; outcome: string; tenant_id: string }>(
            `SELECT user_name, request_id, status, outcome, tenant_id FROM provisioning_events WHERE method = 'POST'`,
          )
        ).rows.filter((r) => r.tenant_id === tenantId);
        const created = (userName: string) => logged.some((r) => r.user_name === userName && r.status === 201 && r.outcome === 'SUCCESS');
        const failed = (requestId: string) => logged.some((r) => r.request_id === requestId && r.status === 503 && r.outcome === 'FAILURE');
        return [...acknowledged.filter((u) => !created(u)).map((u) => `201 ${u}`), ...refused.filter((id) => !failed(id)).map((id) => `503 ${id}`)];
      };
      const logDeadline = Date.now() + 20_000;
      while ((await missing()).length > 0 && Date.now() < logDeadline) await sleep(250);
      expect(await missing()).toEqual([]);

      // A token this process never saw authenticate cannot be attributed: its 503 is in no tenant's provisioning log,
      // and its access-log line carries no tenant.
      const unknownRequestId = uncached[0].body.requestId as string;
      expect(unknownRequestId).toEqual(expect.any(String));
      expect((await client.query('SELECT 1 FROM provisioning_events WHERE request_id = $1', [unknownRequestId])).rowCount).toBe(0);
      const accessLine = server.stdout
        .split('\n')
        .filter((line) => line.includes(unknownRequestId))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.msg === 'request');
      expect(accessLine).toMatchObject({ status: 503, route: '/scim/v2/Users' });
      expect(accessLine).not.toHaveProperty('tenantId');
    } finally {
      await client.end();
    }
    expect(server.stderr).not.toMatch(/Unhandled|uncaught/i);
  });
});

/** What counts as "database unavailable" (503) and what does not (a statement the database refused), on real errors. */
describe('isDatabaseUnavailable', () => {
  async function caught(work: () => Promise<unknown>): Promise<unknown> {
    try {
      await work();
    } catch (error) {
      return error;
    }
    throw new Error('expected a failure');
  }

  test('a refused connection, a pool that cannot hand out a connection in time, a terminated session: yes', async () => {
    const closedPort = await freePort();
    const refused = await caught(() => new Client({ connectionString: `postgres://postgres@127.0.0.1:${closedPort}/postgres` }).connect());
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const db = await createTestDatabase();
    const pool = new Pool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 200 });
    try {
      const held = await pool.connect();
      const timedOut = await caught(() => pool.connect());
      expect(isDatabaseUnavailable(timedOut)).toBe(true);
      held.release();
      if (db.kind === 'postgres') {
        const session = await pool.connect();
        session.on('error', () => undefined);
        const terminated = await caught(() => session.query('SELECT pg_terminate_backend(pg_backend_pid())'));
        expect((terminated as { code?: string }).code).toBe('57P01');
        expect(isDatabaseUnavailable(terminated)).toBe(true);
        session.release(true);
      }
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  test('statements the database refuses: no (they stay 4xx or 500, never a retryable 503)', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const sql of ['SELEC 1', 'SELECT 1/0', "SELECT 'x'::uuid", 'SELECT * FROM no_such_table']) {
        expect(isDatabaseUnavailable(await caught(() => client.query(sql)))).toBe(false);
      }
      expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
      expect(isDatabaseUnavailable(undefined)).toBe(false);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
