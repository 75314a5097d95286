/**
 * `npm run bench`: seeds a tenant with N employees by bulk SQL, starts Rollcall (PostgreSQL via DATABASE_URL, or the
 * embedded database with --embedded), drives Okta-shaped SCIM phases and GraphQL phases with C concurrent keep-alive
 * requests, and prints one table with two references: a no-storage Node HTTP server answering the same routes (the
 * ceiling) and the same statements sent straight through `pg` (the database's share). See docs/benchmarks.md.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Pool as PgPool } from 'pg';
import { BenchRequest, CpuMeter, LoadClient, PhaseResult, peakRssMb, timedWork } from './load';

const ROOT = path.join(__dirname, '..');
const { values: args } = parseArgs({
  options: {
    employees: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '8' },
    'group-members': { type: 'string', default: '50000' },
    groups: { type: 'string', default: '1000' },
    embedded: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-references': { type: 'boolean', default: false },
    // The tenant imports team names, and every create and PUT names one (an Okta profile mapping team).
    team: { type: 'boolean', default: false },
    'pool-size': { type: 'string', default: '16' },
    workers: { type: 'string' },
    only: { type: 'string' },
    // Write a V8 CPU profile of the server to this folder (open it in Chrome DevTools or speedscope).
    'cpu-prof': { type: 'string' },
    // Extra Node options for the server only (not the load client), e.g. --node-flags=--max-semi-space-size=32.
    'node-flags': { type: 'string' },
  },
});
const EMPLOYEES = Number(args.employees);
const CONCURRENCY = Number(args.concurrency);
const SECONDS = Number(args.seconds);
const GROUP_MEMBERS = Math.min(Number(args['group-members']), EMPLOYEES);
const GROUPS = Number(args.groups);
const RUN = randomBytes(3).toString('hex');
const only = args.only ? new Set(args.only.split(',')) : undefined;
const wanted = (phase: string) => !only || only.has(phase);

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

async function seed(databaseUrl: string, tenantId: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = Date.now();
    await client.query(`INSERT INTO teams (tenant_id, name) SELECT $1, 'Team ' || g FROM generate_series(1, 20) g`, [tenantId]);
    if (args.team) await client.query(`UPDATE tenants SET scim_import_fields = '{TEAM}' WHERE id = $1`, [tenantId]);
    const chunk = 200_000;
    for (let from = 1; from <= EMPLOYEES; from += chunk) {
      const to = Math.min(EMPLOYEES, from + chunk - 1);
      await client.query(
        `INSERT INTO employees (tenant_id, username, first_name, last_name, email, managed_by, external_id,
                                primary_role_id, team_id, login_authenticator_id, display_name)
         SELECT $1, 'seed' || g || '@bench.example', 'First' || g, 'Last' || (g % 5000), 'seed' || g || '@bench.example',
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
    if (hasGroups) {
      await client.query(
        `INSERT INTO groups (tenant_id, display_name, external_id) SELECT $1, 'Group ' || g, 'gext-' || g FROM generate_series(1, $2::int) g`,
        [tenantId, GROUPS],
      );
      // One large group (GROUP_MEMBERS members) and ten members in every other group.
      await client.query(
        `INSERT INTO group_members (tenant_id, group_id, employee_id)
         SELECT $1, (SELECT id FROM groups WHERE tenant_id = $1 AND display_name = 'Group 1'), e.id
           FROM (SELECT id FROM employees WHERE tenant_id = $1 ORDER BY id LIMIT $2) e`,
        [tenantId, GROUP_MEMBERS],
      );
      await client.query(
        `INSERT INTO group_members (tenant_id, group_id, employee_id)
         SELECT $1, g.id, e.id FROM groups g
           CROSS JOIN LATERAL (SELECT id FROM employees WHERE tenant_id = $1 ORDER BY id DESC LIMIT 10) e
          WHERE g.tenant_id = $1 AND g.display_name <> 'Group 1'`,
        [tenantId],
      );
    }
    // A directory of this size was loaded over weeks, long since vacuumed: without VACUUM, autovacuum's pass over the
    // bulk load (and the first reads setting hint bits) ran during the first phases (1,000,000: lookups -35 %).
    await client.query('VACUUM (ANALYZE)');
    log(`seeded ${EMPLOYEES} employees${hasGroups ? `, ${GROUPS} groups (one of ${GROUP_MEMBERS} members)` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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

const user = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Bench', familyName: 'User' },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: 'Bench User',
  externalId: `okta-${userName}`,
  active: true,
  ...(args.team ? { 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User': { team: `Team ${1 + (userName.length % 20)}` } } : {}),
  ...extra,
});
const PATCH_OFF = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
const pick = (ids: string[], i: number) => ids[(i * 7919) % ids.length];
const seedName = (i: number) => `seed${1 + ((i * 7919) % EMPLOYEES)}@bench.example`;

async function scimPhases(target: Target, ids: string[], usernames: string[], label: string, groupId?: string): Promise<PhaseResult[]> {
  const client = new LoadClient(target.url, target.token, CONCURRENCY);
  const run = (name: string, count: number, make: (i: number) => BenchRequest, concurrency?: number) =>
    client.phase(`${name}`, count, make, { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS, concurrency });
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

async function importWalk(target: Target): Promise<{ result: PhaseResult; first: number; last: number; seen: number; total: number }> {
  const client = new LoadClient(target.url, target.token, 1);
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

async function graphqlPhases(target: Target, globalIds: string[]): Promise<PhaseResult[]> {
  const client = new LoadClient(target.url, target.adminToken, CONCURRENCY);
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
        gql('query($s: String) { employees(search: $s, first: 20) { totalCount nodes { id username firstName lastName } } }', { s: `seed${1 + ((i * 7919) % EMPLOYEES)}@` }),
      { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS }));
    }
    if (wanted('page')) {
      results.push(await client.phase('GraphQL page of 100 + role, team', 20_000, () =>
        gql('{ employees(first: 100) { nodes { id username primaryRole { name } team { name } } } }', {}),
      { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS }));
    }
    if (wanted('update') && globalIds.length > 0) {
      results.push(await client.phase('GraphQL updateEmployee', 20_000, (i) =>
        gql('mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code } } }', { input: { id: globalIds[(i * 7919) % globalIds.length], displayName: `Desk ${i}` } }),
      { serverPid: target.pid, databasePid: target.databasePid, maxSeconds: SECONDS }));
    }
  } finally {
    await client.close();
  }
  return results;
}

/** The statements Rollcall's hot paths run, sent straight through `pg` with the same concurrency. */
async function pgReference(databaseUrl: string, tenantId: string, ids: string[]): Promise<PhaseResult[]> {
  const pool = new PgPool({ connectionString: databaseUrl, max: CONCURRENCY });
  const results: PhaseResult[] = [];
  const view = `SELECT e.*, r.name::text AS _r, t.name::text AS _t FROM employees e
    LEFT JOIN roles r ON r.tenant_id = e.tenant_id AND r.id = e.primary_role_id
    LEFT JOIN teams t ON t.tenant_id = e.tenant_id AND t.id = e.team_id`;
  try {
    if (wanted('create')) results.push(await timedWork('create', 50_000, CONCURRENCY, async (i) => {
      await pool.query(`INSERT INTO employees (tenant_id, username, first_name, last_name, email, managed_by) VALUES ($1, $2, 'B', 'U', $2, 'IDENTITY_PROVIDER')`, [tenantId, `pg-${RUN}-${i}@bench.example`]);
    }, SECONDS));
    if (wanted('lookup')) results.push(await timedWork('lookup', 200_000, CONCURRENCY, async (i) => {
      await pool.query(`${view} WHERE e.tenant_id = $1 AND e.deleted_at IS NULL AND e.username = $2::citext ORDER BY e.id LIMIT 100`, [tenantId, seedName(i)]);
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
      await pool.query(`${view} WHERE e.tenant_id = $1 AND e.deleted_at IS NULL ORDER BY e.id LIMIT 100 OFFSET $2`, [tenantId, (i * 100) % Math.min(EMPLOYEES, 10_000)]);
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

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!args.embedded && !serverUrl) {
    console.error('npm run bench needs DATABASE_URL (a PostgreSQL server where it may create a database), or --embedded.');
    process.exit(2);
  }
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const dbName = `rollcall_bench_${Date.now()}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-'));
  let databaseUrl: string | undefined;
  if (serverUrl && !args.embedded) {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    databaseUrl = withDatabase(serverUrl, dbName);
  }
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DB_POOL_SIZE: String(args['pool-size']),
    // The benchmark measures the server, not the per-token limiter.
    RATE_LIMIT_PER_SECOND: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir }),
  };
  if (!databaseUrl) delete baseEnv.DATABASE_URL;
  if (args.workers) baseEnv.WEB_CONCURRENCY = args.workers;
  const children: ChildProcess[] = [];
  try {
    const created = JSON.parse(execFileSync('node', [path.join(ROOT, 'bin', 'rollcall.js'), 'tenant', 'create', 'bench', '--json'], { env: baseEnv }).toString()) as {
      tenant: { id: string };
      scimToken: string;
      adminToken: string;
    };
    const tenantId = created.tenant.id;

    // The embedded database is only reachable through the server; seed it through a temporary PGlite socket.
    let seedUrl = databaseUrl;
    let stopSeedDb: (() => Promise<void>) | undefined;
    if (!seedUrl) {
      const { startEmbeddedDatabase } = await import('../src/db/embedded');
      const embedded = await startEmbeddedDatabase({ dataDir });
      seedUrl = embedded.url;
      stopSeedDb = () => embedded.stop();
    }
    await seed(seedUrl, tenantId);
    const idClient = new Client({ connectionString: seedUrl });
    await idClient.connect();
    const sample: { id: string; username: string }[] = (
      await idClient.query(`SELECT id, username FROM employees WHERE tenant_id = $1 ORDER BY random() LIMIT 100000`, [tenantId])
    ).rows;
    const ids = sample.map((r) => r.id);
    const usernames = sample.map((r) => r.username);
    const groupRow = (await idClient.query(`SELECT to_regclass('public.groups') AS t`)).rows[0].t
      ? (await idClient.query(`SELECT id FROM groups WHERE tenant_id = $1 AND display_name = 'Group 1'`, [tenantId])).rows[0]
      : undefined;
    const databasePid = databaseUrl ? localPostmaster(Number((await idClient.query('SELECT pg_backend_pid() AS pid')).rows[0].pid)) : undefined;
    await idClient.end();
    await stopSeedDb?.();

    const port = await freePort();
    const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
    const nodeFlags = args['node-flags'] ? args['node-flags'].split(' ').filter(Boolean) : [];
    const server = startProcess('node', [...profile, ...nodeFlags, path.join(ROOT, 'dist', 'src', 'main.js')], { ...baseEnv, PORT: String(port) });
    // Read, or a server printing more than a pipe holds (--trace-gc) would block on its next write.
    server.stdout?.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
    children.push(server);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/readyz`);
    const target: Target = { url, pid: server.pid!, databasePid, token: created.scimToken, adminToken: created.adminToken };
    log(`Rollcall up (pid ${server.pid}, ${databaseUrl ? 'PostgreSQL' : 'embedded'}); ${CONCURRENCY} concurrent requests, phases capped at ${SECONDS} s`);

    const rollcall = await scimPhases(target, ids, usernames, 'rc', groupRow?.id);
    const walk = wanted('walk') ? await importWalk(target) : undefined;
    const globalIds = ids.slice(0, 5000).map((id) => Buffer.from(`Employee:${id}`).toString('base64url'));
    const graphql = await graphqlPhases(target, globalIds);
    const rss = peakRssMb(server.pid!);

    let ceiling: PhaseResult[] = [];
    let pgRef: PhaseResult[] = [];
    if (!args['no-references']) {
      log('reference: no-storage HTTP server');
      const ceilingProcess = startProcess('node', ['-r', '@swc-node/register', path.join(__dirname, 'ceiling-server.ts'), String(EMPLOYEES)], process.env);
      children.push(ceilingProcess);
      const ceilingUrl = await new Promise<string>((resolve) => ceilingProcess.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
      const ceilingTarget = { url: ceilingUrl, pid: ceilingProcess.pid!, token: 'x', adminToken: 'x' };
      ceiling = await scimPhases(ceilingTarget, ids, usernames, 'ceiling');
      ceiling.push(...(await graphqlPhases(ceilingTarget, globalIds)));
      ceilingProcess.kill('SIGTERM');
      if (databaseUrl) {
        log('reference: the same statements straight through pg');
        pgRef = await pgReference(databaseUrl, tenantId, ids);
      }
    }

    const byName = (list: PhaseResult[], name: string) => list.find((r) => r.name === name);
    const lines = [
      `Rollcall benchmark: ${EMPLOYEES.toLocaleString('en-US')} employees, ${CONCURRENCY} concurrent requests, ${databaseUrl ? 'PostgreSQL' : 'embedded PGlite'}, ${os.cpus().length} cores, Node ${process.version}`,
      '',
      row(['phase', 'requests', 'errors', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'server CPU ms/req', 'PostgreSQL CPU ms/req', 'client CPU ms/req', 'ceiling req/s', 'Rollcall/ceiling', 'pg req/s']),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ];
    for (const r of [...rollcall, ...(walk ? [walk.result] : []), ...graphql]) {
      const c = byName(ceiling, r.name);
      const p = byName(pgRef, r.name);
      lines.push(row([
        r.name, r.requests, r.errors, fmt(r.perSecond, 0), fmt(r.p50), fmt(r.p95), fmt(r.p99), fmt(r.max),
        r.cpuPerRequestMs === null ? '-' : fmt(r.cpuPerRequestMs, 3), ms(r.databaseCpuPerRequestMs), ms(r.clientCpuPerRequestMs), c ? fmt(c.perSecond, 0) : '-', c ? fmt(r.perSecond / c.perSecond, 2) : '-', p ? fmt(p.perSecond, 0) : '-',
      ]));
    }
    lines.push('');
    if (walk) lines.push(`Import walk: saw ${walk.seen} of ${walk.total}; first 10 pages ${fmt(walk.first)} ms, last 10 pages ${fmt(walk.last)} ms (ratio ${fmt(walk.last / walk.first, 2)}).`);
    lines.push(`Server peak RSS: ${fmt(rss, 0)} MB.`);
    const graphqlCeiling = ceiling.filter((c) => c.name.startsWith('GraphQL'));
    if (graphqlCeiling.length > 0) {
      lines.push(`GraphQL ceiling (Apollo Server and graphql-js answering from memory): ${graphqlCeiling
        .map((c) => `${c.name.replace('GraphQL ', '')} ${fmt(c.perSecond, 0)}/s, p99 ${fmt(c.p99)} ms, ${c.cpuPerRequestMs === null ? '-' : fmt(c.cpuPerRequestMs, 3)} ms CPU`)
        .join('; ')}.`);
    }
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
    if (databaseUrl && !args.keep && serverUrl) {
      const admin = new Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
    if (!args.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
