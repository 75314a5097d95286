import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { MIGRATIONS } from '../migrations';
import {
  RaceTarget,
  disjointWrites,
  graphqlEditVersusDeactivation,
  identicalCreates,
  ifMatchWriters,
  importOptionalAttributes,
  membershipPatches,
  scimUser,
} from './support/race-scenarios';
import { ServerProcess, sleep } from './support/processes';
import { withDatabase } from './support/test-databases';

/**
 * Several instances: two `rollcall serve` processes on one PostgreSQL database, started at the same moment on an
 * empty database (so both try to migrate it), then traffic split between them (request i goes to instance i % 2).
 * Proves that the concurrency guarantees of races.test.ts hold across processes, that a write through one is read
 * through the other at once, and how long a token revoked through one stays usable on the other (its auth cache).
 */
jest.setTimeout(120_000);

const SERVER_URL = process.env.DATABASE_URL;
/** How long another instance may still accept a revoked token (AUTH_CACHE_MS in src/services/token.service.ts). */
const AUTH_CACHE_BOUND_MS = 10_000;

(SERVER_URL ? describe : describe.skip)(`two instances on one PostgreSQL${SERVER_URL ? '' : ' (skipped: DATABASE_URL is unset)'}`, () => {
  const name = `rollcall_instances_${randomBytes(6).toString('hex')}`;
  const url = SERVER_URL ? withDatabase(SERVER_URL, name) : '';
  const scimToken = `instances-scim-${randomBytes(24).toString('base64url')}`;
  const adminToken = `instances-admin-${randomBytes(24).toString('base64url')}`;
  let a: ServerProcess;
  let b: ServerProcess;
  let db: Client;
  let target: RaceTarget;

  async function onServer(sql: string): Promise<void> {
    const admin = new Client({ connectionString: SERVER_URL });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  }

  beforeAll(async () => {
    await onServer(`CREATE DATABASE ${name}`);
    const env = {
      DATABASE_URL: url,
      DB_POOL_SIZE: '5',
      ROLLCALL_BOOTSTRAP_TENANT: 'instances',
      ROLLCALL_BOOTSTRAP_SCIM_TOKEN: scimToken,
      ROLLCALL_BOOTSTRAP_ADMIN_TOKEN: adminToken,
      // The 50-create race sends 25 requests a second to each instance from one token; limits are not under test.
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_BURST: '1000',
    };
    // Both at once on the empty database: both find every migration pending.
    [a, b] = await Promise.all([ServerProcess.spawn(env), ServerProcess.spawn(env)]);
    db = new Client({ connectionString: url });
    await db.connect();
  });
  afterAll(async () => {
    await Promise.all([a?.kill('SIGKILL'), b?.kill('SIGKILL')]);
    await db?.end();
    if (SERVER_URL) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  test('started together on an empty database, both come up; each migration ran once; one bootstrap tenant', async () => {
    await Promise.all([a.waitReady(), b.waitReady()]);
    const applied = (await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id')).rows.map((r) => r.name);
    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect((await db.query('SELECT slug FROM tenants')).rows).toEqual([{ slug: 'instances' }]);
    expect((await db.query('SELECT scope FROM access_tokens ORDER BY scope')).rows).toEqual([{ scope: 'admin' }, { scope: 'scim' }]);
    expect([a.alive, b.alive]).toEqual([true, true]);
    expect(a.stderr + b.stderr).toBe('');

    const [tenant] = (await db.query<{ id: string }>('SELECT id FROM tenants')).rows;
    const pick = (i: number) => (i % 2 === 0 ? a : b);
    target = {
      scim: (i, method, path, body, headers) => pick(i).scim(method, path, scimToken, body, headers),
      graphql: (i, query, variables) => pick(i).graphql(adminToken, query, variables),
      query: async (sql, params) => (await db.query(sql, params as unknown[])).rows,
      tenantId: tenant.id,
    };
    await importOptionalAttributes(target);
  });

  test('50 identical creates split over both: one 201, 49 × 409 uniqueness, one row', async () => {
    await identicalCreates(target, 'split-fifty@example.com');
  });

  test('PATCHes and a PUT of one employee through both, on different fields: none lost', async () => {
    await disjointWrites(target, 'split-disjoint@example.com');
  });

  test('If-Match writers through both: one 200, the others 412', async () => {
    await ifMatchWriters(target, 'split-if-match@example.com');
  });

  test('membership PATCHes of one group through both: exactly the acknowledged members', async () => {
    await membershipPatches(target, 'split-members');
  });

  test('a GraphQL edit through one racing a SCIM deactivation through the other never resurrects', async () => {
    await graphqlEditVersusDeactivation(target, 'split-resurrect', 10);
  });

  test('a deactivation through A is what B answers at once, on SCIM and GraphQL', async () => {
    const created = await a.scim('POST', '/Users', scimToken, scimUser('seen-at-once@example.com'));
    expect(created.status).toBe(201);
    expect((await b.scim('GET', `/Users/${created.body.id}`, scimToken)).body.active).toBe(true);
    const off = await a.scim('PATCH', `/Users/${created.body.id}`, scimToken, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.status).toBe(200);
    const seen = await b.scim('GET', `/Users/${created.body.id}`, scimToken);
    expect(seen.body).toMatchObject({ active: false, meta: { version: off.body.meta.version } });
    const viaGraphql = await b.graphql(adminToken, '{ employees(search: "seen-at-once@example.com") { nodes { status } } }');
    expect(viaGraphql.body.data.employees.nodes).toEqual([{ status: 'INACTIVE' }]);
  });

  test('a token revoked through A is refused by A at once and by B within the auth cache bound', async () => {
    const created = await a.graphql(
      adminToken,
      'mutation { createAccessToken(input: { name: "short-lived", scope: SCIM }) { secret accessToken { id } userErrors { message } } }',
    );
    const { secret, accessToken } = created.body.data.createAccessToken;
    // Both instances have now authenticated (and cached) the new token.
    expect((await a.scim('GET', '/Users?count=1', secret)).status).toBe(200);
    expect((await b.scim('GET', '/Users?count=1', secret)).status).toBe(200);
    const revoked = await a.graphql(adminToken, 'mutation($id: ID!) { revokeAccessToken(input: { id: $id }) { userErrors { message } } }', {
      id: accessToken.id,
    });
    expect(revoked.body.data.revokeAccessToken.userErrors).toEqual([]);
    const revokedAt = Date.now();
    expect((await a.scim('GET', '/Users?count=1', secret)).status).toBe(401);
    let refusedAfter: number | undefined;
    while (Date.now() - revokedAt < AUTH_CACHE_BOUND_MS + 3_000) {
      if ((await b.scim('GET', '/Users?count=1', secret)).status === 401) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await sleep(250);
    }
    expect(refusedAfter).toBeDefined();
    expect(refusedAfter!).toBeLessThanOrEqual(AUTH_CACHE_BOUND_MS + 1_000);
  });
});
