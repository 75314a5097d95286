import { checkPlanEpoch, freshPlans, planEpoch } from '../src/db/plan-epochs';
import { toGlobalId } from '../src/graphql/global-id';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { idpRequestBody } from './support/idp-fixtures';
import { PlanNode, appPool, onEveryConnection } from './support/pool-connections';

/**
 * Plans a pool connection made while the tenant's tables were tiny are not kept once they have grown (issue 16;
 * src/db/plan-epochs.ts). Okta provisions a new deployment person by person: a userName lookup, the create, then reads
 * and updates by id and externalId lookups. Each pool connection plans those statements once, at their first run, when
 * the tables hold a few rows and every index led by `tenant_id` costs the same; without the epochs, the plan kept read
 * each person through `uq_employees_tenant_username_key` with the tenant as its only condition, and the whole tenant
 * once it had grown (2,675 index entries per externalId lookup, 5,687 per PUT, after 5,000 people).
 *
 * PostgreSQL only: the embedded database plans every statement at each execution.
 */

const onPostgres = process.env.DATABASE_URL !== undefined;

let h: Harness;
let t: TestTenant;

/** The key columns a read of one employee names; a scan that tests one of them row by row reads the tenant. */
const KEY_FILTER = /\b(id|external_id|username_key|email)\b\s*=/;

/** Scans of employees whose index condition is the tenant alone while a key is tested on each row. */
function tenantScans(node: PlanNode, found: string[] = []): string[] {
  const tenantOnly = node['Index Cond'] !== undefined && /^\(*tenant_id = [^()]*\)*$/.test(node['Index Cond']);
  if (node['Relation Name'] === 'employees' && node['Node Type'] === 'Seq Scan' && node.Filter && KEY_FILTER.test(node.Filter))
    found.push(`Seq Scan on employees, Filter: ${node.Filter}`);
  if (node['Relation Name'] === 'employees' && tenantOnly && node.Filter && KEY_FILTER.test(node.Filter))
    found.push(`${node['Node Type']} using ${node['Index Name']}, Index Cond: ${node['Index Cond']}, Filter: ${node.Filter}`);
  for (const child of node.Plans ?? []) tenantScans(child, found);
  return found;
}

/** Okta's flow for one person, as it provisions a new deployment. */
async function provision(n: number): Promise<void> {
  const userName = `early${n}@example.com`;
  const lookup = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`, t.tokens.scim);
  expect(lookup.body.totalResults).toBe(0);
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName, { externalId: `00u-early-${n}` }));
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim)).status).toBe(200);
  const byExternalId = await h.scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "00u-early-${n}"`)}`, t.tokens.scim);
  expect(byExternalId.body.totalResults).toBe(1);
  const put = JSON.parse(JSON.stringify(idpRequestBody('okta', '07-put-profile-update')).replaceAll('{id}', id));
  const replaced = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, { ...put, userName, emails: [{ ...put.emails[0], value: userName }] });
  expect(replaced.status).toBe(200);
  const patched = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, idpRequestBody('okta', '08-patch-deactivate'));
  expect(patched.status).toBe(200);
  const graphql = await h.graphql(t.tokens.admin, `query($id: ID!) { employee(id: $id) { id username } }`, { id: toGlobalId('Employee', id) });
  expect(graphql.body.data.employee.username).toBe(userName);
}

(onPostgres ? describe : describe.skip)(`plans kept by pool connections${onPostgres ? '' : ' (skipped: PostgreSQL only)'}`, () => {
  beforeAll(async () => {
    h = await Harness.start();
    // This file's own database: autovacuum must not analyze a table behind the test's back (its statistics would
    // replan every statement by themselves).
    const tables: { name: string }[] = await h.dataSource.query(`SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`);
    for (const { name } of tables) await h.dataSource.query(`ALTER TABLE "${name}" SET (autovacuum_enabled = false)`);
    t = await h.tenant('kept');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  test('statements first planned while the tenant had a few people read by key once it has thousands', async () => {
    const pool = appPool(h.dataSource);
    let grown = 0;
    /** The tenant grows by SQL, with no ANALYZE, until employees has at least `atLeast` pages of 8 kB. */
    const grow = async (atLeast: number) => {
      for (;;) {
        const [{ pages }] = await h.dataSource.query(`SELECT pg_relation_size('employees') / 8192 AS pages`);
        if (Number(pages) >= atLeast) return Number(pages);
        await h.dataSource.query(
          `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, external_id, managed_by)
           SELECT $1, 'grown' || i || '@example.com', 'grown' || i || '@example.com', 'First' || i, 'Last' || i, 'grown' || i || '@example.com', '00u-grown-' || i, 'IDENTITY_PROVIDER'
             FROM generate_series($2::int, $3::int) AS i`,
          [t.tenant.id, grown + 1, (grown += 100)],
        );
      }
    };
    /** Every connection's plans as its next statement would run them (the app calls freshPlans before each one). */
    const badPlans = async () => {
      const found = await onEveryConnection(pool, async (client) => {
        await freshPlans(pool, client);
        const { rows } = await client.query<{ name: string; statement: string; parameters: number }>(
          `SELECT name, statement, cardinality(parameter_types) AS parameters FROM pg_prepared_statements WHERE statement ~ '\\memployees\\M'`,
        );
        const bad: string[] = [];
        for (const { name, statement, parameters } of rows) {
          const args = parameters > 0 ? `(${Array(parameters).fill('NULL').join(', ')})` : '';
          const [{ 'QUERY PLAN': plans }] = (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`)).rows;
          for (const problem of tenantScans(plans[0].Plan)) bad.push(`${problem}\n  ${statement.replace(/\s+/g, ' ').slice(0, 240)}`);
        }
        return { statements: rows.length, bad };
      });
      // The flow's statements were prepared on the connections (so the check looked at them).
      expect(found.reduce((n, c) => n + c.statements, 0)).toBeGreaterThan(10);
      return found.flatMap((c) => c.bad);
    };

    // Concurrently, so that every pool connection plans the statements while the tables are tiny.
    await Promise.all(Array.from({ length: 10 }, (_, n) => provision(n)));
    expect(pool.totalCount).toBeGreaterThan(1);
    // Just past 32 pages the connections plan again, and the plans made there are kept up to 128 pages: the weakest
    // ones the app keeps. Here the app notices the growth by itself: its statements read the sizes in the background,
    // at most once a second.
    const before = planEpoch(pool);
    await grow(32);
    const started = Date.now();
    while (planEpoch(pool) === before) {
      if (Date.now() - started > 10_000) throw new Error('the pool never noticed that employees passed 32 pages');
      expect((await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "early0@example.com"')}`, t.tokens.scim)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all(Array.from({ length: 10 }, (_, n) => provision(100 + n)));
    expect(await grow(120)).toBeLessThan(128);
    await checkPlanEpoch(pool);
    expect(await badPlans()).toEqual([]);
    // Past 128 pages, and thousands of people more.
    expect(await grow(200)).toBeGreaterThanOrEqual(128);
    const [{ analyzed }] = await h.dataSource.query(`SELECT count(*)::int AS analyzed FROM pg_stats WHERE schemaname = 'public' AND tablename = 'employees'`);
    expect(analyzed).toBe(0);
    await checkPlanEpoch(pool);
    expect(await badPlans()).toEqual([]);
  }, 120_000);

  test('a statement PostgreSQL refuses (a username taken: 409) leaves its connection in the pool with its prepared statements', async () => {
    const pool = appPool(h.dataSource);
    const userName = 'taken@example.com';
    expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName))).status).toBe(201);
    const backends = async () => (await onEveryConnection(pool, async (client) => (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number)).sort();
    const before = await backends();
    for (let i = 0; i < 5; i++) {
      const again = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName));
      expect(again.status).toBe(409);
      expect(again.body.scimType).toBe('uniqueness');
    }
    // pg's pool.query closed a connection on any error: each 409 cost a new connection, which prepared and planned
    // every statement again.
    expect(await backends()).toEqual(before);
  });
});
