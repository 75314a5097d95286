/**
 * `npm run bench`: measures Rollcall on PostgreSQL (DATABASE_URL) or the embedded database (--embedded) in one of
 * three scenarios (docs/benchmarks.md):
 * - onboarding (default): a fresh tenant whose people are created over SCIM `POST /Users` with Okta's create body, as
 *   Okta imports them, then lookups, gets, PUTs, PATCHes, list pages and GraphQL at once, with no ANALYZE;
 * - shared: the same for a new tenant of a database where another tenant already holds --other-employees (1,000,000)
 *   analyzed rows;
 * - seeded: a tenant seeded with N employees by bulk SQL and vacuumed (the scenario of sessions 9-15).
 * It drives the phases with C concurrent keep-alive requests (undici, or a plain node:http Agent with --client
 * node-http), or with --rate N open loop at N requests a second (latency from each request's scheduled start), and
 * prints one table with two references: a no-storage Node HTTP server answering the same routes (the ceiling) and the
 * same statements sent straight through `pg` (the database's share).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool as PgPool } from 'pg';
import { idpRequestBody } from '../test/support/idp-fixtures';
import { BenchRequest, CpuMeter, LATE_MS, LoadClient, OPEN_LOOP_SOCKETS, PhaseResult, peakRssMb, timedWork } from './load';
import { BenchUsageError, parseBenchArgs } from './options';
import { BenchReceiver } from './webhook-receiver';

const ROOT = path.join(__dirname, '..');
const opts = (() => {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError) && !(error instanceof TypeError)) throw error;
    console.error(`npm run bench: ${(error as Error).message} (see docs/benchmarks.md)`);
    process.exit(2);
  }
})();
const SCENARIO = opts.scenario;
const ONBOARDING = SCENARIO !== 'seeded';
const EMPLOYEES = opts.employees;
const CONCURRENCY = opts.concurrency;
const SECONDS = opts.seconds;
const GROUP_MEMBERS = opts.groupMembers;
const GROUPS = opts.groups;
const RUN = randomBytes(3).toString('hex');
const LOAD =
  opts.rate === undefined
    ? `${CONCURRENCY} concurrent keep-alive requests`
    : `open loop at ${opts.rate}/s (latency from each request's scheduled start; at most ${OPEN_LOOP_SOCKETS} keep-alive connections)`;
const wanted = (phase: string) => !opts.only || opts.only.has(phase);

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Seeds a tenant with `employees` employees in 20 teams by bulk SQL (`INSERT … SELECT generate_series`), `groups`
 * groups (one of `groupMembers` members, ten members in every other), then runs `VACUUM (ANALYZE)` on the database.
 */
async function seed(databaseUrl: string, tenantId: string, employees: number, groups: number, groupMembers: number, team = false): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = Date.now();
    await client.query(`INSERT INTO teams (tenant_id, name) SELECT $1, 'Team ' || g FROM generate_series(1, 20) g`, [tenantId]);
    if (team) await client.query(`UPDATE tenants SET scim_import_fields = '{TEAM}' WHERE id = $1`, [tenantId]);
    const chunk = 200_000;
    for (let from = 1; from <= employees; from += chunk) {
      const to = Math.min(employees, from + chunk - 1);
      await client.query(
        `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by, external_id,
                                primary_role_id, team_id, login_authenticator_id, display_name)
         SELECT $1, 'seed' || g || '@bench.example', 'seed' || g || '@bench.example', 'First' || g, 'Last' || (g % 5000), 'seed' || g || '@bench.example',
                'IDENTITY_PROVIDER', 'ext-' || g,
                (SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Agent'),
                (SELECT id FROM teams WHERE tenant_id = $1 AND name = 'Team ' || (1 + g % 20)),
                (SELECT id FROM login_authenticators WHERE tenant_id = $1 AND is_default),
                'Seed ' || g
           FROM generate_series($2::int, $3::int) g`,
        [tenantId, from, to],
      );
    }
    const hasGroups = (await client.query(`SELECT to_regclass('public.groups') AS t`)).rows[0].t !== null;
    if (hasGroups && groups > 0) {
      await client.query(
        `INSERT INTO groups (tenant_id, display_name, external_id) SELECT $1, 'Group ' || g, 'gext-' || g FROM generate_series(1, $2::int) g`,
        [tenantId, groups],
      );
      // One large group (groupMembers members) and ten members in every other group.
      await client.query(
        `INSERT INTO group_members (tenant_id, group_id, employee_id)
         SELECT $1, (SELECT id FROM groups WHERE tenant_id = $1 AND display_name = 'Group 1'), e.id
           FROM (SELECT id FROM employees WHERE tenant_id = $1 ORDER BY id LIMIT $2) e`,
        [tenantId, groupMembers],
      );
      await client.query(
        `INSERT INTO group_members (tenant_id, group_id, employee_id)
         SELECT $1, g.id, e.id FROM groups g
           CROSS JOIN LATERAL (SELECT id FROM employees WHERE tenant_id = $1 ORDER BY id DESC LIMIT 10) e
          WHERE g.tenant_id = $1 AND g.display_name <> 'Group 1'`,
        [tenantId],
      );
    }
    const inserted = Date.now();
    // A directory of this size was loaded over weeks, long since vacuumed: without VACUUM, autovacuum's pass over the
    // bulk load (and the first reads setting hint bits) ran during the first phases (1,000,000: lookups -35 %).
    await client.query('VACUUM (ANALYZE)');
    const seconds = (Date.now() - started) / 1000;
    log(`seeded ${employees} employees${hasGroups && groups > 0 ? `, ${groups} groups (one of ${groupMembers} members)` : ''} in ${((inserted - started) / 1000).toFixed(1)} s, VACUUM (ANALYZE) ${((Date.now() - inserted) / 1000).toFixed(1)} s`);
    return seconds;
  } finally {
    await client.end();
  }
}

interface Target {
  url: string;
  pid: number;
  /** The local PostgreSQL server's postmaster, whose CPU time each phase reports; undefined when not on this machine. */
  databasePid?: number;
  token: string;
  adminToken: string;
}

/** The people a phase addresses: ids and userNames by the same index. */
interface People {
  ids: string[];
  usernames: string[];
}

const TEAM_EXTENSION = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const teamOf = (userName: string) => (opts.team ? { [TEAM_EXTENSION]: { team: `Team ${1 + (userName.length % 20)}` } } : {});

/** The seeded scenario's bodies (unchanged since session 9, so that its figures compare across sessions). */
const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Bench', familyName: 'User' },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: 'Bench User',
  externalId: `okta-${userName}`,
  active: true,
  ...teamOf(userName),
  ...extra,
});
const PATCH_OFF = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
const pick = (ids: string[], i: number) => ids[(i * 7919) % ids.length];
const seedName = (i: number) => `seed${1 + ((i * 7919) % EMPLOYEES)}@bench.example`;

/**
 * What Okta sends (test/fixtures/idp/okta, as test/support/harness.ts oktaCreateUser builds them): the full create
 * body (name, primary work email, displayName, locale, Okta's user id as externalId, groups [], a placeholder password,
 * active), the profile push (a PUT of the whole user it read, with id, meta, groups, the extension and the password),
 * and the deactivation (a pathless PATCH replace of active).
 */
const OKTA_CREATE = idpRequestBody<Record<string, any>>('okta', '05-create-user');
const OKTA_PUT = JSON.stringify(idpRequestBody('okta', '07-put-profile-update'));
const OKTA_DEACTIVATE = idpRequestBody('okta', '08-patch-deactivate');
const oktaName = (i: number) => `user${i}.${RUN}@atko.example`;
const oktaId = (i: number) => `00u${RUN}${i.toString(36).padStart(11, '0')}`;

function oktaCreate(userName: string, i: number): Record<string, unknown> {
  const [local] = userName.split('@');
  const familyName: string = OKTA_CREATE.name.familyName;
  return {
    ...OKTA_CREATE,
    userName,
    name: { givenName: local.charAt(0).toUpperCase() + local.slice(1), familyName },
    emails: [{ ...OKTA_CREATE.emails[0], value: userName }],
    displayName: `${local} ${familyName}`,
    externalId: oktaId(i),
    ...teamOf(userName),
  };
}

function oktaPut(id: string, userName: string, person: number, i: number): Record<string, unknown> {
  const body = JSON.parse(OKTA_PUT.replaceAll('{id}', id)) as Record<string, any>;
  const [local] = userName.split('@');
  const extension = { ...body[TEAM_EXTENSION], ...(opts.team ? { team: `Team ${1 + (userName.length % 20)}` } : {}) };
  return {
    ...body,
    userName,
    externalId: oktaId(person),
    name: { givenName: local.charAt(0).toUpperCase() + local.slice(1), familyName: `Updated ${i}`, formatted: `${local} Updated ${i}` },
    emails: [{ ...body.emails[0], value: userName }],
    [TEAM_EXTENSION]: extension,
  };
}

function loadClient(target: Target, token: string, concurrency = CONCURRENCY): LoadClient {
  return new LoadClient(target.url, token, concurrency, opts.client, opts.rate === undefined ? concurrency : OPEN_LOOP_SOCKETS);
}

async function scimPhases(target: Target, ids: string[], usernames: string[], label: string, groupId?: string): Promise<PhaseResult[]> {
  const client = loadClient(target, target.token);
  // The group phases that send one request at a time (each edits or reads the same large group) stay closed-loop.
  const run = (name: string, count: number, make: (i: number) => BenchRequest, concurrency?: number) =>
    client.phase(`${name}`, count, make, { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS, concurrency, rate: concurrency ? undefined : opts.rate });
  const results: PhaseResult[] = [];
  try {
    // Warm-up: JIT, pool connections, token cache.
    await client.phase('warm-up', 500, (i) => ({ method: 'GET', path: `/scim/v2/Users/${pick(ids, i)}`, expect: [200] }));
    if (wanted('create')) results.push(await run('create', 50_000, (i) => ({ method: 'POST', path: '/scim/v2/Users', body: user(`new-${RUN}-${label}-${i}@bench.example`), expect: [201] })));
    if (wanted('lookup')) results.push(await run('lookup', 200_000, (i) => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${seedName(i)}"`)}&startIndex=1&count=100`, expect: [200] })));
    if (wanted('get')) results.push(await run('get', 200_000, (i) => ({ method: 'GET', path: `/scim/v2/Users/${pick(ids, i)}`, expect: [200] })));
    if (wanted('put')) results.push(await run('put', 50_000, (i) => ({ method: 'PUT', path: `/scim/v2/Users/${pick(ids, i)}`, body: user(usernames[(i * 7919) % usernames.length], { name: { givenName: 'Put', familyName: `User ${i}` } }), expect: [200] })));
    if (wanted('patch')) results.push(await run('patch deactivate', 50_000, (i) => ({ method: 'PATCH', path: `/scim/v2/Users/${pick(ids, i)}`, body: PATCH_OFF, expect: [200] })));
    if (wanted('list')) results.push(await run('list page of 100', 20_000, (i) => ({ method: 'GET', path: `/scim/v2/Users?startIndex=${1 + ((i * 100) % Math.min(EMPLOYEES, 10_000))}&count=100`, expect: [200] })));
    if (groupId && wanted('groups')) {
      const members = (from: number) => Array.from({ length: 1000 }, (_, k) => ({ value: ids[(GROUP_MEMBERS + from * 1000 + k) % ids.length] }));
      results.push(await run('group PATCH +1,000 members', 6, (i) => ({
        method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, expect: [200, 204],
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: members(i) }] },
      }), 1));
      results.push(await run('group PATCH -1,000 members', 6, (i) => ({
        method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, expect: [200, 204],
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Remove', path: 'members', value: members(i) }] },
      }), 1));
      results.push(await run('GET /Groups excl. members', 5_000, () => ({ method: 'GET', path: '/scim/v2/Groups?excludedAttributes=members&count=100', expect: [200] })));
      results.push(await run('GET /Groups with members', 2_000, () => ({ method: 'GET', path: '/scim/v2/Groups?startIndex=2&count=10', expect: [200] })));
      results.push(await run('GET 50k-member group', 5, () => ({ method: 'GET', path: `/scim/v2/Groups/${groupId}`, expect: [200] }), 1));
    }
  } finally {
    await client.close();
  }
  return results;
}

/**
 * `--okta-first N`: N people provisioned as Okta provisions a new app, step by step, before the import. Not reported:
 * it is there so that the pool's connections plan the statements of every later phase while the tenant is nearly
 * empty, as they do when an identity provider meets a new deployment (src/db/plan-epochs.ts). A step that fails stops
 * the bench.
 */
async function oktaFirst(client: LoadClient, label: string): Promise<void> {
  const n = opts.oktaFirst;
  const name = (i: number) => `${label}-first${i}@example.com`;
  const ids: string[] = [];
  const step = async (what: string, make: (i: number) => BenchRequest, onResponse?: (i: number, status: number, body: string) => void) => {
    const result = await client.phase(`okta first: ${what}`, n, make, { maxSeconds: 3600, onResponse });
    if (result.errors > 0) throw new Error(`--okta-first: ${what}: ${result.errors} error(s), first: ${result.firstError}`);
  };
  await step('userName lookup', (i) => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${name(i)}"`)}&startIndex=1&count=100`, expect: [200] }));
  await step('create', (i) => ({ method: 'POST', path: '/scim/v2/Users', body: oktaCreate(name(i), 900_000 + i), expect: [201] }), (i, _status, body) => void (ids[i] = (JSON.parse(body) as { id: string }).id));
  await step('get', (i) => ({ method: 'GET', path: `/scim/v2/Users/${ids[i]}`, expect: [200] }));
  await step('externalId lookup', (i) => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`externalId eq "${oktaId(900_000 + i)}"`)}`, expect: [200] }));
  await step('PUT', (i) => ({ method: 'PUT', path: `/scim/v2/Users/${ids[i]}`, body: oktaPut(ids[i], name(i), 900_000 + i, i), expect: [200] }));
  await step('deactivate', (i) => ({ method: 'PATCH', path: `/scim/v2/Users/${ids[i]}`, body: OKTA_DEACTIVATE, expect: [200] }));
  log(`okta first: ${n} people provisioned step by step before the import`);
}

/**
 * The onboarding phases: EMPLOYEES people created over SCIM with Okta's create body (all of them, no time cap; their
 * ids are collected from the 201 answers into `people` when it is given), then at once, with no ANALYZE, Okta's
 * userName lookups, gets, profile PUTs, deactivations and list pages of 100 (startIndex paging over the tenant).
 */
async function onboardingPhases(target: Target, people: People, collect: boolean, label: string): Promise<PhaseResult[]> {
  const client = loadClient(target, target.token);
  const run = (name: string, count: number, make: (i: number) => BenchRequest) =>
    client.phase(name, count, make, { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS, rate: opts.rate });
  const results: PhaseResult[] = [];
  try {
    // Warm-up without touching employees (JIT, token cache, HTTP): the tenant's first statements run in the creates.
    await client.phase('warm-up', 500, () => ({ method: 'GET', path: '/scim/v2/ServiceProviderConfig', expect: [200] }));
    if (opts.oktaFirst > 0) await oktaFirst(client, label);
    const created: string[] = [];
    const create = await client.phase(
      'create',
      EMPLOYEES,
      (i) => ({ method: 'POST', path: '/scim/v2/Users', body: oktaCreate(label === 'rc' ? oktaName(i) : `${label}-${oktaName(i)}`, i), expect: [201] }),
      {
        serverPid: target.pid,
        databasePid: target.databasePid,
        maxSeconds: 3600,
        rate: opts.rate,
        onResponse: collect ? (i, _status, body) => void (created[i] = (JSON.parse(body) as { id: string }).id) : undefined,
      },
    );
    results.push(create);
    if (collect) {
      for (let i = 0; i < EMPLOYEES; i++) {
        if (created[i] === undefined) continue;
        people.ids.push(created[i]);
        people.usernames.push(oktaName(i));
      }
      if (people.ids.length === 0) throw new Error(`no person was created: ${create.firstError}`);
    }
    const { ids, usernames } = people;
    const n = ids.length;
    const at = (i: number) => (i * 7919) % n;
    if (wanted('lookup')) results.push(await run('lookup', 200_000, (i) => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${usernames[at(i)]}"`)}&startIndex=1&count=100`, expect: [200] })));
    if (wanted('get')) results.push(await run('get', 200_000, (i) => ({ method: 'GET', path: `/scim/v2/Users/${ids[at(i)]}`, expect: [200] })));
    if (wanted('put')) results.push(await run('put', 50_000, (i) => ({ method: 'PUT', path: `/scim/v2/Users/${ids[at(i)]}`, body: oktaPut(ids[at(i)], usernames[at(i)], at(i), i), expect: [200] })));
    if (wanted('patch')) results.push(await run('patch deactivate', 50_000, (i) => ({ method: 'PATCH', path: `/scim/v2/Users/${ids[at(i)]}`, body: OKTA_DEACTIVATE, expect: [200] })));
    if (wanted('list')) results.push(await run('list page of 100', 20_000, (i) => ({ method: 'GET', path: `/scim/v2/Users?startIndex=${1 + ((i * 100) % n)}&count=100`, expect: [200] })));
  } finally {
    await client.close();
  }
  return results;
}

async function importWalk(target: Target): Promise<{ result: PhaseResult; first: number; last: number; seen: number; total: number }> {
  const client = loadClient(target, target.token, 1);
  let startIndex = 1;
  let total = Infinity;
  let seen = 0;
  const pageTimes: number[] = [];
  const meter = new CpuMeter(target.pid, target.databasePid);
  const started = performance.now();
  let errors = 0;
  while (startIndex <= total) {
    const t0 = performance.now();
    const { status, body } = await client.send({ method: 'GET', path: `/scim/v2/Users?startIndex=${startIndex}&count=100`, expect: [200] });
    pageTimes.push(performance.now() - t0);
    if (status !== 200) {
      errors++;
      break;
    }
    const page = JSON.parse(body) as { totalResults: number; itemsPerPage: number };
    total = page.totalResults;
    seen += page.itemsPerPage;
    if (page.itemsPerPage === 0) break;
    startIndex += 100;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter.perRequest(pageTimes.length);
  await client.close();
  const sorted = [...pageTimes].sort((a, b) => a - b);
  const head = pageTimes.slice(0, 10);
  const tail = pageTimes.slice(-10);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    result: {
      name: 'import walk (pages of 100)',
      requests: pageTimes.length,
      errors: errors + (seen === total ? 0 : 1),
      seconds,
      perSecond: pageTimes.length / seconds,
      p50: sorted[Math.floor(sorted.length * 0.5)] ?? 0,
      p95: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
      p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
      max: sorted[sorted.length - 1] ?? 0,
      ...cpu,
      firstError: seen === total ? undefined : `walk saw ${seen} of ${total}`,
    },
    first: mean(head),
    last: mean(tail),
    seen,
    total,
  };
}

async function graphqlPhases(target: Target, globalIds: string[], searchTerm: (i: number) => string): Promise<PhaseResult[]> {
  const client = loadClient(target, target.adminToken);
  const gql = (query: string, variables: Record<string, unknown>): BenchRequest => ({
    method: 'POST',
    path: '/graphql',
    body: { query, variables },
    headers: { 'content-type': 'application/json' },
    expect: [200],
  });
  const results: PhaseResult[] = [];
  try {
    if (wanted('search')) {
      results.push(await client.phase('GraphQL employees(search:)', 50_000, (i) =>
        gql('query($s: String) { employees(search: $s, first: 20) { totalCount nodes { id username firstName lastName } } }', { s: searchTerm(i) }),
      { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS, rate: opts.rate }));
    }
    if (wanted('page')) {
      results.push(await client.phase('GraphQL page of 100 + role, team', 20_000, () =>
        gql('{ employees(first: 100) { nodes { id username primaryRole { name } team { name } } } }', {}),
      { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS, rate: opts.rate }));
    }
    if (wanted('update') && globalIds.length > 0) {
      results.push(await client.phase('GraphQL updateEmployee', 20_000, (i) =>
        gql('mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code } } }', { input: { id: globalIds[(i * 7919) % globalIds.length], displayName: `Desk ${i}` } }),
      { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS, rate: opts.rate }));
    }
  } finally {
    await client.close();
  }
  return results;
}

/** The statements Rollcall's hot paths run, sent straight through `pg` with the same concurrency. */
async function pgReference(databaseUrl: string, tenantId: string, ids: string[], lookupName: (i: number) => string): Promise<PhaseResult[]> {
  const pool = new PgPool({ connectionString: databaseUrl, max: CONCURRENCY });
  const results: PhaseResult[] = [];
  const view = `SELECT e.*, r.name::text AS _r, t.name::text AS _t FROM employees e
    LEFT JOIN roles r ON r.tenant_id = e.tenant_id AND r.id = e.primary_role_id
    LEFT JOIN teams t ON t.tenant_id = e.tenant_id AND t.id = e.team_id`;
  const listSpan = Math.max(1, Math.min(ONBOARDING ? ids.length : EMPLOYEES, 10_000));
  try {
    if (wanted('create')) results.push(await timedWork('create', ONBOARDING ? EMPLOYEES : 50_000, CONCURRENCY, async (i) => {
      await pool.query(`INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by) VALUES ($1, $2, $2, 'B', 'U', $2, 'IDENTITY_PROVIDER')`, [tenantId, `pg-${RUN}-${i}@bench.example`]);
    }, SECONDS));
    if (wanted('lookup')) results.push(await timedWork('lookup', 200_000, CONCURRENCY, async (i) => {
      await pool.query(`${view} WHERE e.tenant_id = $1 AND e.username_key = $2 ORDER BY e.id LIMIT 100`, [tenantId, lookupName(i)]);
    }, SECONDS));
    if (wanted('get')) results.push(await timedWork('get', 200_000, CONCURRENCY, async (i) => {
      await pool.query(`${view} WHERE e.tenant_id = $1 AND e.id = $2 AND e.deleted_at IS NULL`, [tenantId, pick(ids, i)]);
    }, SECONDS));
    if (wanted('put')) results.push(await timedWork('put', 50_000, CONCURRENCY, async (i) => {
      await pool.query(`UPDATE employees SET first_name = 'Bench', version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, pick(ids, i)]);
    }, SECONDS));
    if (wanted('patch')) results.push(await timedWork('patch deactivate', 50_000, CONCURRENCY, async (i) => {
      await pool.query(`UPDATE employees SET status = 'INACTIVE', version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, pick(ids, i)]);
    }, SECONDS));
    if (wanted('list')) results.push(await timedWork('list page of 100', 20_000, CONCURRENCY, async (i) => {
      await pool.query(`${view} WHERE e.tenant_id = $1 AND e.deleted_at IS NULL ORDER BY e.id LIMIT 100 OFFSET $2`, [tenantId, (i * 100) % listSpan]);
    }, SECONDS));
  } finally {
    await pool.end();
  }
  return results;
}

function startProcess(command: string, argv: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
  return child;
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const ms = (n: number | null | undefined) => (n === null || n === undefined ? '-' : fmt(n, 3));

/**
 * The postmaster of the PostgreSQL server a backend belongs to, when that server runs on this machine (the backend's
 * process is visible here and is a postgres process); undefined otherwise, and the PostgreSQL CPU column shows '-'.
 */
function localPostmaster(backendPid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${backendPid}/stat`, 'utf8');
    if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('postgres')) return undefined;
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function adminQuery(serverUrl: string, statement: string): Promise<Record<string, any>[]> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return (await admin.query(statement)).rows;
  } finally {
    await admin.end();
  }
}

function createTenant(env: NodeJS.ProcessEnv, slug: string): { tenant: { id: string }; scimToken: string; adminToken: string } {
  return JSON.parse(execFileSync('node', [path.join(ROOT, 'bin', 'rollcall.js'), 'tenant', 'create', slug, '--json'], { env }).toString());
}

/** The migrations a database gets, so that a seeded template made with other migrations is not reused. */
function migrationsHash(): string {
  const names = fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => f.endsWith('.ts')).sort();
  return createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 8);
}

const SEED_COMPLETE = 'rollcall bench seed: complete';

/**
 * The shared scenario's database: another tenant ("other") with OTHER employees seeded by SQL, 1,000 groups (one of
 * 50,000 members) and `VACUUM (ANALYZE)`, in `dbName`. With --reuse-seed the seed is kept in a template database
 * (rollcall_bench_shared_<rows>_<migrations>) and `dbName` is a file copy of it; the template is made on first use.
 */
async function prepareShared(serverUrl: string, dbName: string, env: NodeJS.ProcessEnv): Promise<string> {
  const other = opts.otherEmployees;
  const seedInto = async (name: string): Promise<number> => {
    const url = withDatabase(serverUrl, name);
    const tenant = createTenant({ ...env, DATABASE_URL: url }, 'other');
    return seed(url, tenant.tenant.id, other, 1000, Math.min(50_000, other));
  };
  if (!opts.reuseSeed) {
    await adminQuery(serverUrl, `CREATE DATABASE ${dbName}`);
    const seconds = await seedInto(dbName);
    return `the other tenant's ${other.toLocaleString('en-US')} rows seeded in this run (${fmt(seconds)} s with VACUUM (ANALYZE))`;
  }
  const template = `rollcall_bench_shared_${other}_${migrationsHash()}`;
  const found = await adminQuery(serverUrl, `SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = '${template}'`);
  let how = `copied from the template ${template} seeded by an earlier run`;
  if (found.length === 0 || found[0].note !== SEED_COMPLETE) {
    if (found.length > 0) await adminQuery(serverUrl, `DROP DATABASE ${template} WITH (FORCE)`);
    log(`seeding the template ${template} (${other} rows); later runs with --reuse-seed copy it`);
    await adminQuery(serverUrl, `CREATE DATABASE ${template}`);
    const seconds = await seedInto(template);
    await adminQuery(serverUrl, `COMMENT ON DATABASE ${template} IS '${SEED_COMPLETE}'`);
    how = `the template ${template} seeded in this run (${fmt(seconds)} s with VACUUM (ANALYZE))`;
  }
  const started = Date.now();
  await adminQuery(serverUrl, `CREATE DATABASE ${dbName} TEMPLATE ${template} STRATEGY FILE_COPY`);
  const copied = (Date.now() - started) / 1000;
  log(`copied ${template} in ${fmt(copied)} s`);
  return `${how}; copy ${fmt(copied)} s`;
}

interface TableStats {
  reltuples: number;
  relpages: number;
  statisticsRows: number;
  liveRows: number;
  modifiedSinceAnalyze: number;
  analyzes: number;
  autoanalyzes: number;
  vacuums: number;
  autovacuums: number;
}

/** The employees table's statistics as the planner and autovacuum see them. */
async function employeeStats(databaseUrl: string): Promise<TableStats> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Backends report their counters to the cumulative statistics system at most once a second.
    await new Promise((r) => setTimeout(r, 1200));
    await client.query('SELECT pg_stat_clear_snapshot()');
    const [r] = (
      await client.query(`SELECT c.reltuples, c.relpages,
              (SELECT count(*) FROM pg_statistic s WHERE s.starelid = c.oid)::int AS stats,
              s.n_live_tup, s.n_mod_since_analyze, s.analyze_count, s.autoanalyze_count, s.vacuum_count, s.autovacuum_count
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'public.employees'::regclass`)
    ).rows;
    return {
      reltuples: Number(r.reltuples),
      relpages: Number(r.relpages),
      statisticsRows: Number(r.stats),
      liveRows: Number(r.n_live_tup),
      modifiedSinceAnalyze: Number(r.n_mod_since_analyze),
      analyzes: Number(r.analyze_count),
      autoanalyzes: Number(r.autoanalyze_count),
      vacuums: Number(r.vacuum_count),
      autovacuums: Number(r.autovacuum_count),
    };
  } finally {
    await client.end();
  }
}

const describeStats = (s: TableStats) =>
  `reltuples ${s.reltuples}, relpages ${s.relpages}, ${s.statisticsRows} pg_statistic rows, n_live_tup ${s.liveRows}, ` +
  `n_mod_since_analyze ${s.modifiedSinceAnalyze}, analyze/autoanalyze ${s.analyzes}/${s.autoanalyzes}, vacuum/autovacuum ${s.vacuums}/${s.autovacuums}`;

const loadAverage = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!opts.embedded && !serverUrl) {
    console.error('npm run bench needs DATABASE_URL (a PostgreSQL server where it may create a database), or --embedded.');
    process.exit(2);
  }
  const loadAtStart = loadAverage();
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const dbName = `rollcall_bench_${Date.now()}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-'));
  let databaseUrl: string | undefined;
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    ...(opts.webhooks > 0 ? { WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1' } : {}),
    DB_POOL_SIZE: String(opts.poolSize),
    // The benchmark measures the server, not the per-token limiter.
    RATE_LIMIT_PER_SECOND: '0',
  };
  const children: ChildProcess[] = [];
  let databaseNote = '';
  let autovacuum = '-';
  try {
    if (serverUrl && !opts.embedded) {
      if (SCENARIO === 'shared') databaseNote = await prepareShared(serverUrl, dbName, baseEnv);
      else await adminQuery(serverUrl, `CREATE DATABASE ${dbName}`);
      databaseUrl = withDatabase(serverUrl, dbName);
      autovacuum = String((await adminQuery(serverUrl, `SELECT current_setting('autovacuum') AS a`))[0].a);
      if (opts.autoExplainMs !== undefined) {
        // Every new connection to the bench database loads auto_explain: plans of statements slower than the threshold,
        // with actual rows and buffers, go to the PostgreSQL server log. It instruments every statement: a diagnostic
        // run, not a measurement.
        for (const setting of [
          `session_preload_libraries = 'auto_explain'`,
          `auto_explain.log_min_duration = '${opts.autoExplainMs}ms'`,
          `auto_explain.log_analyze = on`,
          `auto_explain.log_buffers = on`,
        ]) {
          await adminQuery(serverUrl, `ALTER DATABASE ${dbName} SET ${setting}`);
        }
      }
      baseEnv.DATABASE_URL = databaseUrl;
    } else {
      baseEnv.DATA_DIR = dataDir;
      delete baseEnv.DATABASE_URL;
    }
    if (opts.workers) baseEnv.WEB_CONCURRENCY = opts.workers;
    const created = createTenant(baseEnv, 'bench');
    const tenantId = created.tenant.id;

    let ids: string[] = [];
    let usernames: string[] = [];
    let groupId: string | undefined;
    let databasePid: number | undefined;
    // The embedded database is only reachable through the server; seed it through a temporary PGlite socket.
    let seedUrl = databaseUrl;
    let stopSeedDb: (() => Promise<void>) | undefined;
    if (!seedUrl && !ONBOARDING) {
      const { startEmbeddedDatabase } = await import('../src/db/embedded');
      const embedded = await startEmbeddedDatabase({ dataDir });
      seedUrl = embedded.url;
      stopSeedDb = () => embedded.stop();
    }
    if (seedUrl) {
      if (!ONBOARDING) await seed(seedUrl, tenantId, EMPLOYEES, GROUPS, GROUP_MEMBERS, opts.team);
      else if (opts.team) {
        const client = new Client({ connectionString: seedUrl });
        await client.connect();
        await client.query(`INSERT INTO teams (tenant_id, name) SELECT $1, 'Team ' || g FROM generate_series(1, 20) g`, [tenantId]);
        await client.query(`UPDATE tenants SET scim_import_fields = '{TEAM}' WHERE id = $1`, [tenantId]);
        await client.end();
      }
      const idClient = new Client({ connectionString: seedUrl });
      await idClient.connect();
      if (!ONBOARDING) {
        const sample: { id: string; username: string }[] = (
          await idClient.query(`SELECT id, username FROM employees WHERE tenant_id = $1 ORDER BY random() LIMIT 100000`, [tenantId])
        ).rows;
        ids = sample.map((r) => r.id);
        usernames = sample.map((r) => r.username);
        const groupRow = (await idClient.query(`SELECT to_regclass('public.groups') AS t`)).rows[0].t
          ? (await idClient.query(`SELECT id FROM groups WHERE tenant_id = $1 AND display_name = 'Group 1'`, [tenantId])).rows[0]
          : undefined;
        groupId = groupRow?.id;
      }
      databasePid = databaseUrl ? localPostmaster(Number((await idClient.query('SELECT pg_backend_pid() AS pid')).rows[0].pid)) : undefined;
      await idClient.end();
    }
    await stopSeedDb?.();
    const statsBefore = databaseUrl ? await employeeStats(databaseUrl) : undefined;

    const port = await freePort();
    const profile = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.cpuProf)}`] : [];
    const nodeFlags = opts.nodeFlags ? opts.nodeFlags.split(' ').filter(Boolean) : [];
    const server = startProcess('node', [...profile, ...nodeFlags, path.join(ROOT, 'dist', 'src', 'main.js')], { ...baseEnv, PORT: String(port) });
    // Read, or a server printing more than a pipe holds (--trace-gc) would block on its next write.
    server.stdout?.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
    children.push(server);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/readyz`);
    const target: Target = { url, pid: server.pid!, databasePid, token: created.scimToken, adminToken: created.adminToken };
    log(`Rollcall up (pid ${server.pid}, ${databaseUrl ? 'PostgreSQL' : 'embedded'}); scenario ${SCENARIO}, ${opts.client} client, ${LOAD}, phases capped at ${SECONDS} s${ONBOARDING ? ` (the creates of ${EMPLOYEES} people are not)` : ''}`);

    const receiver = opts.webhooks > 0 ? await new BenchReceiver().start() : undefined;
    if (receiver) await subscribeWebhooks(target, receiver, opts.webhooks);

    const people: People = { ids, usernames };
    const rollcall = ONBOARDING ? await onboardingPhases(target, people, true, 'rc') : await scimPhases(target, ids, usernames, 'rc', groupId);
    const walk = wanted('walk') ? await importWalk(target) : undefined;
    const globalIds = people.ids.slice(0, 5000).map((id) => Buffer.from(`Employee:${id}`).toString('base64url'));
    const searchTerm = ONBOARDING ? (i: number) => `user${(i * 7919) % EMPLOYEES}.` : (i: number) => `seed${1 + ((i * 7919) % EMPLOYEES)}@`;
    const graphql = await graphqlPhases(target, globalIds, searchTerm);
    const deliveries = receiver && databaseUrl ? await awaitDeliveries(receiver, databaseUrl, tenantId, opts.webhooks, target) : undefined;
    const rss = peakRssMb(server.pid!);
    const statsAfter = databaseUrl ? await employeeStats(databaseUrl) : undefined;
    const loadAfterRollcall = loadAverage();

    let ceiling: PhaseResult[] = [];
    let ceilingWalk: PhaseResult | undefined;
    let pgRef: PhaseResult[] = [];
    if (!opts.noReferences) {
      log('reference: no-storage HTTP server');
      const ceilingProcess = startProcess('node', ['-r', '@swc-node/register', path.join(__dirname, 'ceiling-server.ts'), String(ONBOARDING ? people.ids.length : EMPLOYEES)], process.env);
      children.push(ceilingProcess);
      const ceilingUrl = await new Promise<string>((resolve) => ceilingProcess.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
      const ceilingTarget = { url: ceilingUrl, pid: ceilingProcess.pid!, token: 'x', adminToken: 'x' };
      ceiling = ONBOARDING
        ? await onboardingPhases(ceilingTarget, people, false, 'ceiling')
        : await scimPhases(ceilingTarget, ids, usernames, 'ceiling', groupId);
      if (walk) ceilingWalk = (await importWalk(ceilingTarget)).result;
      ceiling.push(...(await graphqlPhases(ceilingTarget, globalIds, searchTerm)));
      ceilingProcess.kill('SIGTERM');
      if (databaseUrl) {
        log('reference: the same statements straight through pg');
        const lookupName = ONBOARDING ? (i: number) => people.usernames[(i * 7919) % people.usernames.length] : seedName;
        pgRef = await pgReference(databaseUrl, tenantId, people.ids, lookupName);
      }
    }

    const byName = (list: PhaseResult[], name: string) => list.find((r) => r.name === name);
    const scenarioLine = {
      onboarding: `onboarding: a fresh tenant, ${EMPLOYEES.toLocaleString('en-US')} people created over SCIM (Okta's create body), then every phase at once; no ANALYZE`,
      shared: `shared: a new tenant, ${EMPLOYEES.toLocaleString('en-US')} people created over SCIM (Okta's create body), in a database where another tenant holds ${opts.otherEmployees.toLocaleString('en-US')} analyzed rows; no further ANALYZE`,
      seeded: `seeded: ${EMPLOYEES.toLocaleString('en-US')} employees seeded by SQL, then VACUUM (ANALYZE)`,
    }[SCENARIO];
    const lines = [
      `Rollcall benchmark, scenario ${scenarioLine}. ${LOAD.charAt(0).toUpperCase()}${LOAD.slice(1)} (${opts.client} client), ${databaseUrl ? 'PostgreSQL' : 'embedded PGlite'}, ${os.cpus().length} cores, Node ${process.version}`,
      '',
      row(['phase', 'requests', 'errors', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'server CPU ms/req', 'PostgreSQL CPU ms/req', 'client CPU ms/req', 'ceiling req/s', 'Rollcall/ceiling', 'pg req/s']),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ];
    for (const r of [...rollcall, ...(walk ? [walk.result] : []), ...graphql]) {
      const c = walk && r === walk.result ? ceilingWalk : byName(ceiling, r.name);
      const p = byName(pgRef, r.name);
      lines.push(row([
        r.name, r.requests, r.errors, fmt(r.perSecond, 0), fmt(r.p50), fmt(r.p95), fmt(r.p99), fmt(r.max),
        r.cpuPerRequestMs === null ? '-' : fmt(r.cpuPerRequestMs, 3), ms(r.databaseCpuPerRequestMs), ms(r.clientCpuPerRequestMs), c ? fmt(c.perSecond, 0) : '-', c ? fmt(r.perSecond / c.perSecond, 2) : '-', p ? fmt(p.perSecond, 0) : '-',
      ]));
    }
    lines.push('');
    const timed = [...rollcall, ...graphql].filter((r) => r.late !== undefined);
    if (timed.length > 0) lines.push(`Sent late (over ${LATE_MS} ms behind schedule, or waiting for a free connection): ${timed.map((r) => `${r.name} ${r.late}`).join(', ')}.`);
    if (walk) lines.push(`Import walk: saw ${walk.seen} of ${walk.total}; first 10 pages ${fmt(walk.first)} ms, last 10 pages ${fmt(walk.last)} ms (ratio ${fmt(walk.last / walk.first, 2)}).`);
    lines.push(`Server peak RSS: ${fmt(rss, 0)} MB. Load average (1, 5, 15 min) at start ${loadAtStart}, after Rollcall's phases ${loadAfterRollcall}, at the end ${loadAverage()}.`);
    if (databaseNote) lines.push(`Database: ${databaseNote}.`);
    if (statsBefore && statsAfter) {
      lines.push(`employees statistics (autovacuum ${autovacuum} on this server): before the phases ${describeStats(statsBefore)}; after Rollcall's phases ${describeStats(statsAfter)}.`);
      if (statsAfter.analyzes + statsAfter.autoanalyzes > statsBefore.analyzes + statsBefore.autoanalyzes) lines.push('NOTE: employees was analyzed during the phases (autovacuum): these figures are not of a never-analyzed tenant.');
    }
    if (opts.autoExplainMs !== undefined) lines.push(`auto_explain was on (statements over ${opts.autoExplainMs} ms, with ANALYZE and BUFFERS, in the PostgreSQL server log of database ${dbName}): every statement was instrumented, so these figures are not a measurement.`);
    const graphqlCeiling = ceiling.filter((c) => c.name.startsWith('GraphQL'));
    if (graphqlCeiling.length > 0) {
      lines.push(`GraphQL ceiling (Apollo Server and graphql-js answering from memory): ${graphqlCeiling
        .map((c) => `${c.name.replace('GraphQL ', '')} ${fmt(c.perSecond, 0)}/s, p99 ${fmt(c.p99)} ms, ${c.cpuPerRequestMs === null ? '-' : fmt(c.cpuPerRequestMs, 3)} ms CPU`)
        .join('; ')}.`);
    }
    if (deliveries) lines.push(deliveries);
    const failures = [...rollcall, ...graphql, ...(walk ? [walk.result] : [])].filter((r) => r.errors > 0);
    for (const f of failures) lines.push(`ERRORS in ${f.name}: ${f.errors}; first: ${f.firstError}`);
    console.log(lines.join('\n'));
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    // Wait for the servers to exit (a CPU profile is written on exit), at most 10 s.
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(resolve, 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    if (serverUrl && !opts.embedded && !opts.keep) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** --webhooks N: N endpoints, each subscribed to every event type, each delivering to its own path of `receiver`. */
async function subscribeWebhooks(target: Target, receiver: BenchReceiver, n: number): Promise<void> {
  const types = ['EMPLOYEE_CREATED', 'EMPLOYEE_UPDATED', 'EMPLOYEE_DEACTIVATED', 'EMPLOYEE_REACTIVATED', 'EMPLOYEE_DELETED', 'GROUP_CREATED', 'GROUP_UPDATED', 'GROUP_DELETED', 'GROUP_MEMBERS_ADDED', 'GROUP_MEMBERS_REMOVED'];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${target.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.adminToken}` },
      body: JSON.stringify({
        query: 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { message } } }',
        variables: { input: { url: `${receiver.url}/endpoint-${i}`, eventTypes: types, description: `bench ${i}` } },
      }),
    });
    const body = (await response.json()) as { data?: { createWebhookEndpoint: { userErrors: unknown[] } }; errors?: unknown };
    if (!body.data || body.data.createWebhookEndpoint.userErrors.length > 0) throw new Error(`webhook endpoint not created: ${JSON.stringify(body)}`);
  }
  log(`${n} webhook endpoints subscribed to every event, delivering to ${receiver.url}`);
}

/** After the phases: waits (at most 120 s) until every event reached every endpoint, and describes the deliveries. */
async function awaitDeliveries(receiver: BenchReceiver, databaseUrl: string, tenantId: string, endpoints: number, target: Target): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const started = Date.now();
  // What a delivery costs, measured while nothing but deliveries runs (the backlog after the phases): the server's,
  // PostgreSQL's and the receiver's (this process's) CPU per delivery.
  const meter = new CpuMeter(target.pid, target.databasePid);
  const receivedBefore = receiver.received;
  let expected: number;
  try {
    for (;;) {
      expected = Number((await client.query('SELECT count(*) AS n FROM events WHERE tenant_id = $1', [tenantId])).rows[0].n) * endpoints;
      if (receiver.received >= expected || Date.now() - started > 120_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.end();
  }
  const drained = receiver.received - receivedBefore;
  const drainSeconds = (Date.now() - started) / 1000;
  const cost = meter.perRequest(drained);
  const drain =
    drained < 1000
      ? ''
      : ` Draining the last ${drained.toLocaleString('en-US')} deliveries alone: ${fmt(drained / drainSeconds, 0)}/s, CPU ms per delivery: server ${fmt(cost.cpuPerRequestMs ?? NaN, 3)}, ` +
        `PostgreSQL ${fmt(cost.databaseCpuPerRequestMs ?? NaN, 3)}, receiver ${fmt(cost.clientCpuPerRequestMs ?? NaN, 3)}.`;
  const sorted = [...receiver.latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  await receiver.close();
  return `Webhooks: ${endpoints} endpoints, ${receiver.received.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} deliveries (${receiver.duplicates} duplicates), ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s after the last phase to deliver the rest; from the event's time to its arrival: p50 ${fmt(at(0.5), 0)} ms, p99 ${fmt(at(0.99), 0)} ms, max ${fmt(sorted.at(-1) ?? NaN, 0)} ms.${drain}`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
