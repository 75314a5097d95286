import { Client, escapeLiteral } from 'pg';
import { checkPlanEpoch, freshPlans } from '../src/db/plan-epochs';
import { loadDefaults } from '../src/services/tenant-defaults';
import { tokenService } from '../src/services/token.service';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';
import { PlanNode, appPool } from './support/pool-connections';

// pg's own conversion of a JavaScript value to the text it sends for a parameter.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): unknown };

/**
 * Plans that are right without statistics (issue 16, point 1). A tenant's people arrive over SCIM and are looked up,
 * replaced and patched at once, long before autovacuum analyzes anything; a new tenant starts in a database whose
 * statistics describe only the other tenants. In both situations every hot statement must keep its index plan: this
 * test drives each hot operation over HTTP, records the SQL and the parameters the app sends (a hook on pg's
 * Client#query, below the app's pool and TypeORM), and EXPLAINs each statement as PostgreSQL runs it for the app: a
 * statement sent with parameters under the pool's `plan_cache_mode = force_generic_plan` (src/db/data-source.ts) gets
 * the generic plan, so it is PREPAREd and EXPLAINed with EXECUTE; one sent as text (the values written in as literals,
 * `planEachTime`) is EXPLAINed as it is. It fails when a plan reads a tenant's rows to find a few: a Seq Scan on a
 * tenant table, or an index scan whose condition is the tenant alone where the statement asks for keys (the plan is
 * printed in the failure message). docs/benchmarks.md, "Plans without statistics", has the rule for writing them.
 *
 * PostgreSQL only: the embedded database runs every statement unnamed and planned with its values (no generic plans),
 * and PGlite's planner is PostgreSQL's own code, so the same plans would be checked again more slowly.
 */

/** Employees the just-created tenant gets over SCIM (situation 1), and the analyzed tenant beside the new one (2). */
const FRESH_EMPLOYEES = 2_000;
const BIG_EMPLOYEES = 100_000;
const BIG_GROUPS = 2_000;

/** Tables that hold tenants' rows: none may be read by a sequential scan in a hot statement. */
const TENANT_TABLES = new Set([
  'tenants',
  'access_tokens',
  'employees',
  'groups',
  'group_members',
  'roles',
  'teams',
  'login_authenticators',
  'employee_templates',
  'audit_events',
  'provisioning_events',
]);

interface Captured {
  text: string;
  values: unknown[] | undefined;
}

/** What an operation may read by the tenant alone: indexes it walks in order under a LIMIT, or counts. */
interface Expectation {
  /** Indexes that may be scanned with the tenant as their only condition (a page in index order, a count). */
  tenantWide?: string[];
  /** The operation counts the tenant's rows (a total), so a tenant-wide read under a Sort is expected. */
  countsTenant?: boolean;
}

/**
 * Bad plans known today, printed but not failed, each with the change that will fix it. Matched by statement text,
 * so that any other statement of the same operation still fails. Remove an entry once its change has landed.
 */
const KNOWN_BAD: { statement: RegExp; reason: string }[] = [];

let h: Harness;
let explainer: Client;
let capturing: Captured[] | undefined;

type QueryFn = (this: Client, ...args: unknown[]) => unknown;
const originalQuery = Client.prototype.query as unknown as QueryFn;

beforeAll(async () => {
  // Records what every pg client of this process sends (the app's pool and transactions), except the explainer.
  (Client.prototype as unknown as { query: QueryFn }).query = function (this: Client, ...args: unknown[]) {
    if (capturing && this !== explainer) {
      const [first, second] = args;
      // The values copied now: a caller may reuse its array for its next statement.
      const copy = (values: unknown) => (Array.isArray(values) ? [...(values as unknown[])] : undefined);
      if (typeof first === 'string') capturing.push({ text: first, values: copy(second) });
      else if (first && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
        const config = first as { text: string; values?: unknown[] };
        capturing.push({ text: config.text, values: copy(config.values ?? second) });
      }
    }
    return originalQuery.apply(this, args);
  };
});

afterAll(async () => {
  (Client.prototype as unknown as { query: QueryFn }).query = originalQuery;
});

/** The statements `work` sends (transaction control and session settings left out). */
async function capture(work: () => Promise<unknown>): Promise<Captured[]> {
  const seen: Captured[] = [];
  capturing = seen;
  try {
    await work();
    await h.app.provisioningLog.flush();
  } finally {
    capturing = undefined;
  }
  return seen.filter((s) => /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i.test(s.text));
}


let statementNumber = 0;

/** The plan PostgreSQL uses for the statement as the app sent it (see the comment at the top). */
async function explain(statement: Captured): Promise<PlanNode> {
  const values = statement.values ?? [];
  if (values.length === 0) {
    const { rows } = await explainer.query(`EXPLAIN (FORMAT JSON) ${statement.text}`);
    return rows[0]['QUERY PLAN'][0].Plan;
  }
  const name = `plan_check_${++statementNumber}`;
  await explainer.query(`PREPARE ${name} AS ${statement.text}`);
  try {
    // As many values as the statement has parameters (PostgreSQL ignores none, but a caller may send extra ones).
    const { rows: declared } = await explainer.query(`SELECT cardinality(parameter_types) AS n FROM pg_prepared_statements WHERE name = $1`, [name]);
    if (declared[0].n !== values.length) throw new Error(`${values.length} values for ${declared[0].n} parameters: ${statement.text}`);
    const literals = values.map((value) => {
      const text = prepareValue(value);
      return text === null || text === undefined ? 'NULL' : escapeLiteral(String(text));
    });
    const { rows } = await explainer.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}(${literals.join(', ')})`);
    return rows[0]['QUERY PLAN'][0].Plan;
  } finally {
    await explainer.query(`DEALLOCATE ${name}`);
  }
}

/**
 * The plans of every statement `work` runs on `client`, those inside functions and triggers included, as
 * auto_explain logs them (the test's own top-level statements too: callers leave those out).
 */
async function loggedPlans(client: Pick<Client, 'query' | 'on' | 'off'>, work: () => Promise<unknown>): Promise<{ text: string; plan: PlanNode }[]> {
  const plans: { text: string; plan: PlanNode }[] = [];
  const listener = (notice: { message?: string }) => {
    const json = notice.message?.slice(notice.message.indexOf('{'));
    if (!notice.message?.startsWith('duration:') || !json) return;
    const logged = JSON.parse(json) as { 'Query Text': string; Plan: PlanNode };
    plans.push({ text: logged['Query Text'], plan: logged.Plan });
  };
  client.on('notice', listener);
  try {
    await client.query(`LOAD 'auto_explain'`);
    await client.query(
      `SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_format = json;
       SET client_min_messages = log`,
    );
    await work();
  } finally {
    await client.query('SET client_min_messages = notice; SET auto_explain.log_min_duration = -1');
    client.off('notice', listener);
  }
  return plans;
}

/**
 * The plans inside the app's own functions (`rollcall_…`) that a statement calls: EXPLAIN shows only a Function Scan.
 * The statement is run (these are reads) with auto_explain logging the function's statements.
 */
async function functionPlans(statement: Captured, plan: PlanNode): Promise<{ text: string; plan: PlanNode }[]> {
  if (!JSON.stringify(plan).includes('"Function Name":"rollcall_')) return [];
  const logged = await loggedPlans(explainer, () => explainer.query(statement.text, statement.values as unknown[] | undefined));
  const inside = logged.filter(({ text }) => text !== statement.text);
  if (inside.length === 0) throw new Error(`No statement of the function was logged: ${statement.text}`);
  return inside;
}

/** The columns an index condition constrains besides the tenant (the index's columns are the unqualified names). */
function keysOf(condition: string): string[] {
  const bare = condition
    .replace(/'(?:[^']|'')*'/g, ' ') // literals
    .replace(/::[\w ]+(\[\])?/g, ' ') // casts
    .replace(/\b\w+\.\w+\b/g, ' ') // other relations' columns (the outer side of a join)
    .replace(/\$\d+/g, ' ');
  const words = bare.match(/\b[a-z_][a-z0-9_]*\b/gi) ?? [];
  const ignored = new Set(['tenant_id', 'any', 'all', 'row', 'and', 'or', 'not', 'is', 'null', 'true', 'false', 'array', 'subplan', 'initplan']);
  return words.filter((w) => !ignored.has(w.toLowerCase()) && !/^\d/.test(w));
}

/**
 * The keys of `condition` that bound the part of a btree index it reads: the conditions on the index's leading columns
 * after `tenant_id`, each an equality, up to the first column without one (a range there bounds it too). A condition
 * on a later column is tested on every entry of that part: `(tenant_id = $1) AND (id = $2)` on (tenant_id, last_name,
 * first_name, id) reads all the tenant's entries. Other index types: every column named (keysOf).
 */
async function scannedKeys(index: string, condition: string): Promise<string[]> {
  const named = keysOf(condition);
  const columns = await indexColumns(index);
  if (!columns) return named;
  const clauses = condition
    .replace(/^\(+|\)+$/g, '')
    .split(/\)?\s+AND\s+\(?/i)
    .map((c) => c.trim().replace(/^\(+/, ''));
  const opOf = (column: string) =>
    clauses.map((c) => c.match(new RegExp(`^"?${column}"?\\s*(=|<=|>=|<|>)\\s`))?.[1]).find((op) => op !== undefined);
  const keys: string[] = [];
  for (const column of columns) {
    const op = opOf(column);
    if (op === undefined) break;
    if (column !== 'tenant_id') keys.push(column);
    if (op !== '=') break;
  }
  return keys;
}

const btreeColumns = new Map<string, string[] | null>();

/** A btree index's columns in order (an expression as `(expr)`), or null for other index types. */
async function indexColumns(index: string): Promise<string[] | null> {
  if (!btreeColumns.has(index)) {
    const { rows } = await explainer.query(
      `SELECT am.amname AS am, array_agg(coalesce(a.attname::text, '(expr)') ORDER BY k.n)::text[] AS columns
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
         LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
        WHERE i.indexrelid = to_regclass($1) GROUP BY am.amname`,
      [`"${index}"`],
    );
    btreeColumns.set(index, rows[0]?.am === 'btree' ? rows[0].columns : null);
  }
  return btreeColumns.get(index) ?? null;
}

/** Whether every condition besides the tenant's is a range (`<`, `<=`, `>`, `>=`): it bounds a walk, not a read. */
function rangeOnly(condition: string): boolean {
  const clauses = condition
    .replace(/^\(+|\)+$/g, '')
    .split(/\)?\s+AND\s+\(?/i)
    .filter((c) => !/^\(*tenant_id\b/.test(c.trim()));
  return clauses.length > 0 && clauses.every((c) => /\s(<|<=|>|>=)\s/.test(c) && !/\s(=|~~\*?|@>|&&)\s/.test(c));
}

/**
 * Tables of at most this many pages may be read whole. PostgreSQL sees a table's current size without statistics
 * (it counts the pages when it plans), so a scan of a page or two is the cheapest read and stops being chosen as the
 * table grows: here the tenants, access_tokens and login_authenticators tables (a few tenants, a few rows each). The
 * catalogs and groups of both situations are seeded with hundreds or thousands of rows, so they are never this small.
 */
const TINY_PAGES = 2;

/** What is wrong with a plan: scans that read a tenant's rows to find some of them. */
async function problems(plan: PlanNode, expectation: Expectation): Promise<string[]> {
  const found: string[] = [];
  // `sorted`: a Sort above this node reads all it yields. A page may walk its order's index with the tenant as its only
  // condition because the LIMIT stops the walk; the same scan under a Sort reads the whole tenant for one page.
  const walk = async (node: PlanNode, sorted = false) => {
    const type = node['Node Type'];
    const index = node['Index Name'];
    // A Bitmap Index Scan names no relation: its index's table.
    const table = node['Relation Name'] ?? (index ? await tableOf(index) : undefined);
    const size = table && TENANT_TABLES.has(table) ? await pages(table) : 0;
    if (size > TINY_PAGES) {
      if (type === 'Seq Scan') found.push(`Seq Scan on ${table} (${size} pages)`);
      if (type === 'Index Scan' || type === 'Index Only Scan' || type === 'Bitmap Index Scan') {
        const condition = node['Index Cond'] ?? '';
        const keys = await scannedKeys(index ?? '', condition);
        if (keys.length === 0 && !(expectation.tenantWide ?? []).includes(index ?? '')) {
          found.push(`${type} using ${index} with ${condition ? `only ${condition}` : 'no condition'}`);
        } else if ((keys.length === 0 || rangeOnly(condition)) && sorted && !expectation.countsTenant) {
          // A range on the order's key (a keyset page's `username_key >= $3`) still reads the rest of the tenant.
          found.push(`${type} using ${index} with only ${condition}, all of it sorted for a page`);
        }
      }
    }
    // A Sort's subplans (its input) are read whole; an aggregate below it already reads whole, so its scans are counts.
    const sorts = type === 'Sort';
    for (const child of node.Plans ?? []) await walk(child, sorted || sorts);
  };
  await walk(plan);
  return found;
}

async function tableOf(index: string): Promise<string | undefined> {
  const { rows } = await explainer.query(`SELECT indrelid::regclass::text AS t FROM pg_index WHERE indexrelid = to_regclass($1)`, [`"${index}"`]);
  return rows[0]?.t;
}

async function pages(table: string): Promise<number> {
  const { rows } = await explainer.query(`SELECT pg_relation_size(to_regclass($1)) / current_setting('block_size')::int AS n`, [table]);
  return Number(rows[0].n);
}

/** Plain text of a plan, for failure messages. */
function render(node: PlanNode, depth = 0): string {
  const what = [
    node['Node Type'],
    node['Index Name'] ? `using ${node['Index Name']}` : '',
    node['Relation Name'] ? `on ${node['Relation Name']}` : '',
    `(rows=${node['Plan Rows']} cost=${node['Total Cost']})`,
  ].filter(Boolean).join(' ');
  const details = ['Index Cond', 'Recheck Cond', 'Filter', 'Join Filter', 'Hash Cond']
    .filter((k) => node[k])
    .map((k) => `${'  '.repeat(depth + 1)}  ${k}: ${String(node[k])}`);
  return [`${'  '.repeat(depth)}-> ${what}`, ...details, ...(node.Plans ?? []).map((child) => render(child, depth + 1))].join('\n');
}

interface Operation {
  name: string;
  run: (t: TestTenant, state: TenantState) => Promise<unknown>;
  expect?: Expectation;
}

interface TenantState {
  ids: string[];
  usernames: string[];
  unusedToken: string;
  groupId?: string;
  cursor?: string;
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const ok = (result: HttpResult, status: number | number[] = 200): HttpResult => {
  if (!(Array.isArray(status) ? status : [status]).includes(result.status)) throw new Error(`Expected ${status}, got ${result.status}: ${result.text.slice(0, 500)}`);
  return result;
};
const filter = (text: string) => encodeURIComponent(text);
// A page walks the creation-order index; its count reads the tenant's live rows from any index that holds exactly those.
// ix_employees_tenant_name: name pages (migration Lists); being partial on live rows, counts may read it too, as they
// may read ix_employees_tenant_email (migration EmployeesByEmail).
const PAGE_INDEX = [
  'ix_employees_tenant_created',
  'uq_employees_tenant_username_key',
  'uq_employees_tenant_id_live',
  'ix_employees_tenant_name',
  'ix_employees_tenant_email',
];
const EMPLOYEES_PAGE = `query($first: Int, $after: String, $search: String) {
  employees(first: $first, after: $after, search: $search) {
    totalCount nodes { id username primaryRole { name } team { name } } pageInfo { hasNextPage endCursor }
  }
}`;

/** The hot operations, in an order where each finds what it needs. */
const OPERATIONS: Operation[] = [
  {
    // A token not used yet (the others are cached by now): its lookup by hash and its last-used stamp.
    name: 'token lookup (first request with a token)',
    run: async (_t, s) => ok(await h.scim('GET', '/ServiceProviderConfig', s.unusedToken)),
  },
  {
    name: 'tenant defaults (read before a create once the defaults changed)',
    run: async (t) => loadDefaults({ ...t.ctx, requestId: 'plans' }),
  },
  {
    name: 'GraphQL viewer tenant',
    run: async (t) => ok(await h.graphql(t.tokens.read, '{ viewer { tenant { slug } } }')),
  },
  {
    name: 'SCIM userName lookup',
    run: async (t, s) => ok(await h.scim('GET', `/Users?filter=${filter(`userName eq "${s.usernames[7]}"`)}`, t.tokens.scim)),
  },
  {
    name: 'SCIM externalId lookup',
    run: async (t, s) => ok(await h.scim('GET', `/Users?filter=${filter(`externalId eq "ext-${s.usernames[8]}"`)}`, t.tokens.scim)),
  },
  {
    // Entra can match on the work email instead of userName (its "matching attribute" setting).
    name: 'SCIM work email lookup',
    run: async (t, s) =>
      ok(await h.scim('GET', `/Users?filter=${filter(`emails[type eq "work"].value eq "${s.usernames[11].toUpperCase()}"`)}`, t.tokens.scim)),
  },
  { name: 'SCIM GET by id', run: async (t, s) => ok(await h.scim('GET', `/Users/${s.ids[9]}`, t.tokens.scim)) },
  {
    name: 'SCIM PUT',
    run: async (t, s) =>
      ok(await h.scim('PUT', `/Users/${s.ids[10]}`, t.tokens.scim, { ...oktaCreateUser(s.usernames[10]), externalId: `ext-${s.usernames[10]}`, title: 'Replaced' })),
  },
  {
    // Concurrent requests of one tenant share a statement (Coalesced, Batched): the keyed reads of a batch.
    name: 'SCIM GET by id, 8 at once (one batched read)',
    run: async (t, s) => {
      await Promise.all(s.ids.slice(20, 28).map(async (id) => ok(await h.scim('GET', `/Users/${id}`, t.tokens.scim))));
    },
  },
  {
    name: 'SCIM userName lookups, 8 at once (one batched read)',
    run: async (t, s) => {
      await Promise.all(s.usernames.slice(20, 28).map(async (u) => ok(await h.scim('GET', `/Users?filter=${filter(`userName eq "${u}"`)}`, t.tokens.scim))));
    },
  },
  {
    name: 'SCIM PUT, 8 at once (one batched statement)',
    run: async (t, s) => {
      await Promise.all(
        s.ids.slice(30, 38).map(async (id, i) =>
          ok(await h.scim('PUT', `/Users/${id}`, t.tokens.scim, { ...oktaCreateUser(s.usernames[30 + i]), externalId: `ext-${s.usernames[30 + i]}`, title: 'Batch' })),
        ),
      );
    },
  },
  {
    name: 'SCIM PATCH, 8 at once (one batched update)',
    run: async (t, s) => {
      await Promise.all(
        s.ids.slice(40, 48).map(async (id) =>
          ok(await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Batch' }] })),
        ),
      );
    },
  },
  {
    name: 'SCIM PATCH active=false',
    run: async (t, s) =>
      ok(await h.scim('PATCH', `/Users/${s.ids[11]}`, t.tokens.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })),
  },
  {
    name: 'SCIM list, first page and its count',
    run: async (t) => ok(await h.scim('GET', '/Users?startIndex=1&count=100', t.tokens.scim)),
    expect: { tenantWide: PAGE_INDEX },
  },
  {
    name: 'SCIM list, next page (keyset continuation)',
    run: async (t) => ok(await h.scim('GET', '/Users?startIndex=101&count=100', t.tokens.scim)),
    expect: { tenantWide: PAGE_INDEX },
  },
  {
    name: 'SCIM list, a page by offset',
    run: async (t) => ok(await h.scim('GET', '/Users?startIndex=1001&count=100', t.tokens.scim)),
    expect: { tenantWide: PAGE_INDEX },
  },
  {
    name: 'SCIM group create with members',
    run: async (t, s) => {
      const created = ok(
        await h.scim('POST', '/Groups', t.tokens.scim, {
          schemas: [GROUP_SCHEMA],
          displayName: `Plan Group ${t.tenant.slug}`,
          members: s.ids.slice(0, 50).map((value) => ({ value })),
        }),
        201,
      );
      s.groupId = created.body.id;
    },
  },
  {
    name: 'SCIM group displayName lookup',
    run: async (t) => ok(await h.scim('GET', `/Groups?filter=${filter(`displayName eq "Plan Group ${t.tenant.slug}"`)}`, t.tokens.scim)),
  },
  {
    name: 'SCIM group PATCH add members',
    run: async (t, s) =>
      ok(
        await h.scim('PATCH', `/Groups/${s.groupId}`, t.tokens.scim, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: s.ids.slice(50, 60).map((value) => ({ value })) }],
        }),
        [200, 204],
      ),
  },
  {
    name: 'SCIM group PATCH remove a member',
    run: async (t, s) =>
      ok(
        await h.scim('PATCH', `/Groups/${s.groupId}`, t.tokens.scim, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'remove', path: `members[value eq "${s.ids[3]}"]` }],
        }),
        [200, 204],
      ),
  },
  { name: 'SCIM group GET by id (with members)', run: async (t, s) => ok(await h.scim('GET', `/Groups/${s.groupId}`, t.tokens.scim)) },
  {
    name: 'SCIM group list page',
    run: async (t) => ok(await h.scim('GET', '/Groups?startIndex=1&count=100&excludedAttributes=members', t.tokens.scim)),
    expect: { tenantWide: ['ix_groups_tenant_created'] },
  },
  {
    name: 'GraphQL employee by id',
    run: async (t, s) => {
      const result = ok(await h.graphql(t.tokens.read, `query($id: ID!) { employee(id: $id) { username groups { displayName } } }`, { id: gid('Employee', s.ids[12]) }));
      if (!result.body.data?.employee) throw new Error(`employee(id) answered ${result.text}`);
    },
  },
  {
    name: 'GraphQL employees, first page with total',
    run: async (t, s) => {
      const result = ok(await h.graphql(t.tokens.read, EMPLOYEES_PAGE, { first: 50 }));
      s.cursor = result.body.data.employees.pageInfo.endCursor;
    },
    expect: { tenantWide: PAGE_INDEX },
  },
  {
    name: 'GraphQL employees, next page',
    run: async (t, s) => ok(await h.graphql(t.tokens.read, EMPLOYEES_PAGE, { first: 50, after: s.cursor })),
    expect: { tenantWide: PAGE_INDEX },
  },
  {
    name: 'GraphQL employees search',
    run: async (t, s) => ok(await h.graphql(t.tokens.read, EMPLOYEES_PAGE, { first: 50, search: s.usernames[13].split('@')[0] })),
  },
  {
    name: 'GraphQL provisioning log about a person',
    run: async (t, s) => {
      const person = s.usernames[14].split('@')[0];
      const query = `query($person: String) { provisioningEvents(first: 50, person: $person) { totalCount nodes { userName } } }`;
      const result = ok(await h.graphql(t.tokens.read, query, { person }));
      // The employee's create is logged under its userName: at least that entry.
      if (!(result.body.data?.provisioningEvents?.totalCount >= 1)) throw new Error(`provisioningEvents(person:) answered ${result.text}`);
    },
    // The log's page for a person reads the tenant's log for entries about them (newest first, then sorted): a filter
    // over the log, as its total is.
    expect: { tenantWide: ['ix_provisioning_events_tenant_time'], countsTenant: true },
  },
];

/** Creates `n` employees over SCIM, 16 at a time (as an IdP's import does). */
async function createOverScim(t: TestTenant, n: number, prefix: string): Promise<TenantState> {
  const unusedToken = (await tokenService.create(t.ctx, { name: 'plans-unused', scope: 'scim' })).secret;
  const state: TenantState = { ids: new Array(n), usernames: new Array(n), unusedToken };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const userName = `${prefix}${String(i).padStart(5, '0')}@example.com`;
      const created = ok(await h.scim('POST', '/Users', t.tokens.scim, { ...oktaCreateUser(userName), externalId: `ext-${userName}` }), 201);
      state.ids[i] = created.body.id;
      state.usernames[i] = userName;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return state;
}

/** Each operation's statements with their plans; fails listing every statement that scans a tenant's rows. */
async function checkPlans(situation: string, t: TestTenant, state: TenantState): Promise<{ failures: string[]; known: string[] }> {
  const failures: string[] = [];
  const known: string[] = [];
  for (const operation of OPERATIONS) {
    const statements = await capture(() => operation.run(t, state));
    if (operation.name.startsWith('token') && statements.length === 0) throw new Error('The token lookup was not captured');
    for (const statement of statements) {
      const top = await explain(statement);
      for (const { text, plan } of [{ text: statement.text, plan: top }, ...(await functionPlans(statement, top))]) {
        const found = await problems(plan, operation.expect ?? {});
        if (found.length === 0) continue;
        const report = `[${situation}] ${operation.name}: ${found.join('; ')}\n  ${text.replace(/\s+/g, ' ').slice(0, 400)}\n${render(plan, 1)}`;
        const knownBad = KNOWN_BAD.find((k) => k.statement.test(text));
        if (knownBad) known.push(`${report}\n  ${knownBad.reason}`);
        else failures.push(report);
      }
    }
  }
  return { failures, known };
}

/** Known bad plans are printed; any other fails the test with every bad plan in its message. */
function report({ failures, known }: { failures: string[]; known: string[] }): void {
  if (known.length) console.log(`Known bad plans (not failed, see their TODO):\n\n${known.join('\n\n')}`);
  if (failures.length) throw new Error(`${failures.length} statement(s) scan a tenant's rows:\n\n${failures.join('\n\n')}`);
}

/** A tenant's catalogs as a large contact center has them (never empty, so never "tiny"). */
async function seedCatalogs(tenantId: string, roles: number, teams: number): Promise<void> {
  await explainer.query(`INSERT INTO roles (tenant_id, name) SELECT $1, 'Role ' || i FROM generate_series(1, $2::int) AS i`, [tenantId, roles]);
  await explainer.query(`INSERT INTO teams (tenant_id, name) SELECT $1, 'Team ' || i FROM generate_series(1, $2::int) AS i`, [tenantId, teams]);
}

const onPostgres = process.env.DATABASE_URL !== undefined;

(onPostgres ? describe : describe.skip)(
  `hot statements keep their index plans without statistics${onPostgres ? '' : ' (skipped: PostgreSQL only, DATABASE_URL is unset; see the comment at the top)'}`,
  () => {
    beforeAll(async () => {
      h = await Harness.start();
      explainer = new Client({ connectionString: h.db.url });
      await explainer.connect();
      await explainer.query('SET plan_cache_mode = force_generic_plan; SET jit = off');
      // This file's own database: autovacuum must not analyze a table behind the test's back.
      const { rows } = await explainer.query<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`);
      for (const { name } of rows) await explainer.query(`ALTER TABLE "${name}" SET (autovacuum_enabled = false)`);
    }, 60_000);

    afterAll(async () => {
      await explainer?.end();
      await h?.close();
    });

    // First in the file: it needs the tables nearly empty when its connection first writes.
    test("the change feed's trigger reads each changed row by its key on a connection whose first write found the tables empty", async () => {
      // The trigger runs inside every audited write, and its statement's plan is kept by the connection. A plan made
      // while a table holds a few rows reads it through the newest index led by tenant_id with the tenant alone; the
      // app's connections drop their plans whenever a table passes 32 or 128 pages (src/db/plan-epochs.ts). This app
      // connection writes while the tenant has one person and one group, again once the tables are just past 32 pages
      // (the weakest plans it keeps), and once more, with those plans, when they are just short of 128 pages: those
      // writes must read each employee, group and token by its key. Then the tables grow on, past the next class, and
      // the plans made there must too. auto_explain logs every statement the trigger runs.
      const t = await h.tenant('trigger-plans');
      const pool = appPool(h.dataSource);
      const c = await pool.connect();
      try {
        // What the app does before each statement (src/services/sql.ts): a connection whose plans are from an earlier
        // size class drops them.
        const asTheAppDoes = async () => {
          await checkPlanEpoch(pool);
          await freshPlans(pool, c);
        };
        const insertEmployees = (from: number, to: number) =>
          explainer.query(
            `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by)
             SELECT $1, 'trig' || i || '@example.com', 'trig' || i || '@example.com', 'First' || i, 'Last' || i, 'trig' || i || '@example.com', 'IDENTITY_PROVIDER'
               FROM generate_series($2::int, $3::int) AS i`,
            [t.tenant.id, from, to],
          );
        const audit = (action: string, targetType: string, where: string) =>
          c.query(
            `INSERT INTO audit_events (tenant_id, actor_surface, actor_token_id, action, target_type, target_id, changes)
             SELECT $1, 'scim', (SELECT id FROM access_tokens WHERE tenant_id = $1 LIMIT 1), $2, $3, id, '{"firstName":{"from":"a","to":"b"}}'
               FROM ${where}`,
            [t.tenant.id, action, targetType],
          );
        const insertGroups = (from: number, to: number) =>
          explainer.query(`INSERT INTO groups (tenant_id, display_name) SELECT $1, 'Trigger plans ' || i FROM generate_series($2::int, $3::int) AS i`, [
            t.tenant.id,
            from,
            to,
          ]);
        const grow = async (table: 'employees' | 'groups', below: number, step: number, insert: (from: number, to: number) => Promise<unknown>, from: number) => {
          let n = from;
          while ((await pages(table)) < below) await insert(n + 1, (n += step));
          return n;
        };
        const updateSome = (order: string) =>
          Promise.all([
            audit('employee.updated', 'employee', `(SELECT id FROM employees WHERE tenant_id = '${t.tenant.id}' ORDER BY username_key ${order} LIMIT 8) e`),
            audit('group.updated', 'group', `(SELECT id FROM groups WHERE tenant_id = '${t.tenant.id}' ORDER BY display_name ${order} LIMIT 8) g`),
          ]);
        // The first writes, while the tenant has one person and one group, make this connection's first plans.
        await insertEmployees(1, 1);
        await insertGroups(1, 1);
        await asTheAppDoes();
        await audit('employee.created', 'employee', `employees WHERE tenant_id = '${t.tenant.id}'`);
        await audit('group.created', 'group', `groups WHERE tenant_id = '${t.tenant.id}'`);
        // Just past 32 pages of 8 kB: the plans are dropped, and the next writes make the ones kept until 128 pages.
        let people = await grow('employees', 32, 20, insertEmployees, 1);
        let groups = await grow('groups', 32, 100, insertGroups, 1);
        await asTheAppDoes();
        await updateSome('ASC');
        // Just short of 128 pages, those plans still in use.
        people = await grow('employees', 120, 100, insertEmployees, people);
        groups = await grow('groups', 120, 400, insertGroups, groups);
        const kept = await loggedPlans(c, () => updateSome('DESC'));
        // Past 128 pages and on: the plans made there.
        await insertEmployees(people + 1, people + 3_000);
        await insertGroups(groups + 1, groups + 5_000);
        await asTheAppDoes();
        await updateSome('ASC');
        await insertEmployees(people + 3_001, people + 6_000);
        const grown = await loggedPlans(c, () => updateSome('DESC'));

        for (const [when, plans] of [['just short of 128 pages, planned past 32', kept], ['grown, planned past 128', grown]] as const) {
          const failures: string[] = [];
          // The test's own statements are logged too; what they read is not the trigger's.
          for (const { text, plan } of plans.filter(({ text }) => !text.trimStart().startsWith('INSERT INTO audit_events'))) {
            const found = await problems(plan, {});
            if (found.length) failures.push(`${found.join('; ')}\n  ${text.replace(/\s+/g, ' ').slice(0, 300)}\n${render(plan, 1)}`);
          }
          if (failures.length) throw new Error(`The trigger's statements scan a tenant's rows (${when}):\n\n${failures.join('\n\n')}`);
          // The reads were logged, so the check above looked at them.
          const read = (table: string) => plans.some(({ plan }) => JSON.stringify(plan).includes(`"Relation Name":"${table}"`));
          expect(['employees', 'groups', 'access_tokens'].filter((table) => !read(table))).toEqual([]);
          // In the trigger's statements (migrations EventsTriggerInlineReads, EventsTriggerEmployeeStatement: the
          // employee updates above take the employee statement, the group updates the general one), not in a function
          // called per event.
          expect(plans.filter(({ text }) => text.includes('p_tenant'))).toEqual([]);
        }
        const { rows } = await explainer.query(`SELECT count(*)::int AS n FROM events WHERE tenant_id = $1`, [t.tenant.id]);
        expect(rows[0].n).toBe(66);
        // The events carry the rows as they are.
        const { rows: carried } = await explainer.query(
          `SELECT count(*)::int AS n FROM events v
             LEFT JOIN employees e ON e.tenant_id = v.tenant_id AND e.id = v.resource_id AND v.type = 'employee.updated'
             LEFT JOIN groups g ON g.tenant_id = v.tenant_id AND g.id = v.resource_id AND v.type = 'group.updated'
            WHERE v.tenant_id = $1 AND v.type IN ('employee.updated', 'group.updated')
              AND (v.data->'employee'->>'username' = e.username AND (v.data->'employee'->>'version')::int = e.version
                   OR v.data->'group'->>'displayName' = g.display_name)`,
          [t.tenant.id],
        );
        expect(carried[0].n).toBe(64);
      } finally {
        // auto_explain stays loaded on the connection: it leaves the pool.
        c.release(true);
      }
    }, 60_000);

    test('a tenant whose people were just created over SCIM, never analyzed', async () => {
      const t = await h.tenant('fresh');
      await seedCatalogs(t.tenant.id, 100, 500);
      const state = await createOverScim(t, FRESH_EMPLOYEES, 'fresh');
      const { rows } = await explainer.query(`SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = 'public'`);
      expect(rows[0].n).toBe(0); // nothing analyzed
      report(await checkPlans('never analyzed', t, state));
    }, 120_000);

    test('a new tenant in a database where another tenant holds many analyzed rows', async () => {
      const big = await h.tenant('big');
      await seedCatalogs(big.tenant.id, 200, 2_000);
      await explainer.query(
        `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, external_id, managed_by, primary_role_id, team_id, created_at)
         SELECT $1, 'big' || i || '@example.com', 'big' || i || '@example.com', 'First' || (i % 997), 'Last' || (i % 991), 'big' || i || '@example.com', 'ext-big' || i,
                'IDENTITY_PROVIDER', r.ids[1 + i % cardinality(r.ids)], t.ids[1 + i % cardinality(t.ids)], now() - make_interval(secs => $2 - i)
           FROM generate_series(1, $2::int) AS i,
                (SELECT array_agg(id) AS ids FROM roles WHERE tenant_id = $1) r,
                (SELECT array_agg(id) AS ids FROM teams WHERE tenant_id = $1) t`,
        [big.tenant.id, BIG_EMPLOYEES],
      );
      await explainer.query(
        `INSERT INTO groups (tenant_id, display_name, external_id) SELECT $1, 'Big Group ' || g, 'ext-group-' || g FROM generate_series(1, $2::int) AS g`,
        [big.tenant.id, BIG_GROUPS],
      );
      await explainer.query(
        // Each employee in two groups.
        `INSERT INTO group_members (tenant_id, group_id, employee_id)
         SELECT DISTINCT e.tenant_id, g.ids[1 + (e.n * k) % cardinality(g.ids)], e.id
           FROM (SELECT tenant_id, id, row_number() OVER () AS n FROM employees WHERE tenant_id = $1) e,
                (SELECT array_agg(id) AS ids FROM groups WHERE tenant_id = $1) g, (VALUES (1), (7)) AS f(k)`,
        [big.tenant.id],
      );
      await explainer.query('ANALYZE');
      const t = await h.tenant('newcomer');
      await seedCatalogs(t.tenant.id, 20, 50);
      const state = await createOverScim(t, 200, 'new');
      report(await checkPlans('new tenant beside an analyzed one', t, state));
    }, 180_000);
  },
);
