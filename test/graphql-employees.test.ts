import { GraphQLObjectType, buildSchema, getNamedType, isLeafType, parse, validate } from 'graphql';
import { createSchema } from '../src/graphql/schema';
import { MAX_DEPTH, depthLimit } from '../src/graphql/limits';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/** GraphQL employee management: create, status, filters, ordering, node(id), query cost and the loaders. */
let h: Harness;
let t: TestTenant;
let supervisorId: string;
let teamId: string;

const CREATE = `mutation($input: CreateEmployeeInput!) {
  createEmployee(input: $input) {
    employee { id username managedBy lockedFields status primaryRole { name } loginAuthenticator { name } }
    userErrors { code field message }
  }
}`;
const STATUS = `mutation($input: SetEmployeeStatusInput!) {
  setEmployeeStatus(input: $input) { employee { id status } userErrors { code field message } }
}`;

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('gql-employees');
  const [supervisor] = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Supervisor'`, [t.tenant.id]);
  supervisorId = supervisor.id;
  const [team] = await h.dataSource.query(`INSERT INTO teams (tenant_id, name) VALUES ($1, 'Escalations') RETURNING id`, [t.tenant.id]);
  teamId = team.id;
});
afterAll(async () => h?.close());

describe('createEmployee', () => {
  test('creates a LOCAL employee with the default role and authenticator, fully editable', async () => {
    const result = await h.graphql(t.tokens.admin, CREATE, {
      input: { username: 'new.local@example.com', firstName: 'New', lastName: 'Local', email: 'new.local@example.com' },
    });
    expect(result.body.data.createEmployee).toMatchObject({
      employee: {
        username: 'new.local@example.com',
        managedBy: 'LOCAL',
        lockedFields: [],
        status: 'ACTIVE',
        primaryRole: { name: 'Agent' },
        loginAuthenticator: { name: 'Default' },
      },
      userErrors: [],
    });
    const [row] = await h.dataSource.query(`SELECT managed_by FROM employees WHERE tenant_id = $1 AND username = 'new.local@example.com'`, [
      t.tenant.id,
    ]);
    expect(row.managed_by).toBe('LOCAL');
  });

  test('explicit role and team by global id; bad values are userErrors and nothing is created', async () => {
    const ok = await h.graphql(t.tokens.admin, CREATE, {
      input: {
        username: 'sup@example.com',
        firstName: 'Sue',
        lastName: 'Pervisor',
        email: 'sup@example.com',
        primaryRoleId: gid('Role', supervisorId),
        teamId: gid('Team', teamId),
        timeZone: 'Asia/Tokyo',
      },
    });
    expect(ok.body.data.createEmployee.employee.primaryRole).toEqual({ name: 'Supervisor' });

    const [{ n: before }] = await h.dataSource.query('SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1', [t.tenant.id]);
    const bad = await h.graphql(t.tokens.admin, CREATE, {
      input: {
        username: 'SUP@example.com',
        firstName: 'Dup',
        lastName: 'Licate',
        email: 'not-an-email',
        teamId: gid('Role', supervisorId),
        timeZone: 'Moon/Base',
      },
    });
    expect(bad.body.data.createEmployee.employee).toBeNull();
    const codes = bad.body.data.createEmployee.userErrors.map((e: { code: string; field: string[] }) => `${e.code}:${e.field?.[1]}`);
    expect(codes).toEqual(expect.arrayContaining(['INVALID_VALUE:teamId']));
    const [{ n: after }] = await h.dataSource.query('SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1', [t.tenant.id]);
    expect(after).toBe(before);

    const duplicate = await h.graphql(t.tokens.admin, CREATE, {
      input: { username: 'SUP@example.com', firstName: 'Dup', lastName: 'Licate', email: 'dup@example.com' },
    });
    expect(duplicate.body.data.createEmployee.userErrors).toEqual([
      expect.objectContaining({ code: 'UNIQUENESS', field: ['input', 'username'] }),
    ]);
  });
});

describe('setEmployeeStatus', () => {
  test('deactivates and reactivates a LOCAL employee', async () => {
    const created = await h.graphql(t.tokens.admin, CREATE, {
      input: { username: 'status@example.com', firstName: 'Stat', lastName: 'Us', email: 'status@example.com' },
    });
    const id = created.body.data.createEmployee.employee.id;
    const off = await h.graphql(t.tokens.admin, STATUS, { input: { id, status: 'INACTIVE' } });
    expect(off.body.data.setEmployeeStatus).toEqual({ employee: { id, status: 'INACTIVE' }, userErrors: [] });
    const on = await h.graphql(t.tokens.admin, STATUS, { input: { id, status: 'ACTIVE' } });
    expect(on.body.data.setEmployeeStatus.employee.status).toBe('ACTIVE');
  });

  test('refuses an IdP-managed employee with IDP_MANAGED_FIELD and the row is unchanged', async () => {
    const scim = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('idp.status@example.com'));
    const before = await h.employeeRow(t.tenant.id, scim.body.id);
    const result = await h.graphql(t.tokens.admin, STATUS, { input: { id: gid('Employee', scim.body.id), status: 'INACTIVE' } });
    expect(result.body.data.setEmployeeStatus.employee).toBeNull();
    expect(result.body.data.setEmployeeStatus.userErrors).toEqual([
      expect.objectContaining({ code: 'IDP_MANAGED_FIELD', field: ['input', 'status'] }),
    ]);
    expect(await h.employeeRow(t.tenant.id, scim.body.id)).toEqual(before);
  });
});

describe('employees(filter, orderBy)', () => {
  const QUERY = `query($filter: EmployeeFilter, $orderBy: EmployeeOrder, $first: Int, $after: String, $search: String) {
    employees(filter: $filter, orderBy: $orderBy, first: $first, after: $after, search: $search) {
      totalCount nodes { username status managedBy createdAt } pageInfo { hasNextPage endCursor }
    }
  }`;

  test('filters by status, managedBy, role and team', async () => {
    const managed = await h.graphql(t.tokens.read, QUERY, { filter: { managedBy: 'IDENTITY_PROVIDER' }, first: 100 });
    expect(managed.body.data.employees.nodes.every((n: { managedBy: string }) => n.managedBy === 'IDENTITY_PROVIDER')).toBe(true);
    const byRole = await h.graphql(t.tokens.read, QUERY, { filter: { primaryRoleIds: [gid('Role', supervisorId)] }, first: 100 });
    expect(byRole.body.data.employees.nodes.map((n: { username: string }) => n.username)).toEqual(['sup@example.com']);
    const byTeam = await h.graphql(t.tokens.read, QUERY, { filter: { teamIds: [gid('Team', teamId)], status: 'ACTIVE' }, first: 100 });
    expect(byTeam.body.data.employees.totalCount).toBe(1);
    const bad = await h.graphql(t.tokens.read, QUERY, { filter: { teamIds: ['nonsense'] } });
    expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    for (const variables of [{ filter: { type: 'a\u0000b' } }, { search: 'a\u0000b' }]) {
      const nul = await h.graphql(t.tokens.read, QUERY, variables);
      expect(nul.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  test('orders by any field in both directions; keyset pages follow that order', async () => {
    const all = await h.graphql(t.tokens.read, QUERY, { orderBy: { field: 'CREATED_AT', direction: 'DESC' }, first: 100 });
    const created = all.body.data.employees.nodes.map((n: { createdAt: string }) => n.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    const walked: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: any = await h.graphql(t.tokens.read, QUERY, { orderBy: { field: 'USERNAME', direction: 'DESC' }, first: 2, after });
      walked.push(...page.body.data.employees.nodes.map((n: { username: string }) => n.username));
      if (!page.body.data.employees.pageInfo.hasNextPage) break;
      after = page.body.data.employees.pageInfo.endCursor;
    }
    expect(walked).toEqual([...walked].sort().reverse());
    expect(walked).toHaveLength(all.body.data.employees.totalCount);
  });
});

test('node(id) fetches employees and roles of the tenant; other tenants and bad ids give null', async () => {
  const other = await h.tenant('gql-employees-other');
  const otherEmployee = await h.scim('POST', '/Users', other.tokens.scim, oktaCreateUser('other@example.com'));
  const NODE = `query($id: ID!) { node(id: $id) { id ... on Employee { username } ... on Role { name } } }`;
  const mine = await h.graphql(t.tokens.read, NODE, { id: gid('Role', supervisorId) });
  expect(mine.body.data.node).toEqual({ id: gid('Role', supervisorId), name: 'Supervisor' });
  const viewer = await h.graphql(t.tokens.read, '{ viewer { tenant { id } token { id } } }');
  for (const id of [viewer.body.data.viewer.tenant.id, viewer.body.data.viewer.token.id]) {
    expect((await h.graphql(t.tokens.read, 'query($id: ID!) { node(id: $id) { id } }', { id })).body.data.node).toEqual({ id });
  }
  const [template] = await h.dataSource.query(`INSERT INTO employee_templates (tenant_id, name) VALUES ($1, 'Night') RETURNING id`, [t.tenant.id]);
  const templateNode = await h.graphql(t.tokens.read, 'query($id: ID!) { node(id: $id) { ... on EmployeeTemplate { name } } }', {
    id: gid('EmployeeTemplate', template.id),
  });
  expect(templateNode.body.data.node).toEqual({ name: 'Night' });
  const otherViewer = await h.graphql(other.tokens.read, '{ viewer { tenant { id } } }');
  expect((await h.graphql(t.tokens.read, 'query($id: ID!) { node(id: $id) { id } }', { id: otherViewer.body.data.viewer.tenant.id })).body.data.node).toBeNull();
  for (const id of [gid('Employee', otherEmployee.body.id), 'garbage', gid('Nope', supervisorId)]) {
    const result = await h.graphql(t.tokens.read, NODE, { id });
    expect(result.body.data.node).toBeNull();
  }
});

test('a page of 100 employees with role, team and authenticator costs a constant number of SQL statements', async () => {
  for (let i = 0; i < 100; i++) {
    await h.graphql(t.tokens.admin, CREATE, {
      input: {
        username: `bulk${i}@example.com`,
        firstName: 'Bulk',
        lastName: String(i),
        email: `bulk${i}@example.com`,
        teamId: gid('Team', teamId),
      },
    });
  }
  const PAGE = `{ employees(first: 100) { nodes { username primaryRole { name } team { name } loginAuthenticator { name } } } }`;
  await h.graphql(t.tokens.read, PAGE); // warm-up (token last-used stamp)
  const before = h.statements.count;
  const result = await h.graphql(t.tokens.read, PAGE);
  const used = h.statements.count - before;
  expect(result.body.data.employees.nodes).toHaveLength(100);
  expect(result.body.data.employees.nodes.every((n: { team: { name: string } | null }) => n.team !== null)).toBe(true);
  // One statement: the page reads its roles, teams and authenticators with it (the token is cached; no totalCount).
  expect(used).toBe(1);
  const withTotal = `{ employees(first: 100) { totalCount nodes { username primaryRole { name } team { name } } } }`;
  const beforeTotal = h.statements.count;
  const counted = await h.graphql(t.tokens.read, withTotal);
  expect(counted.body.data.employees.totalCount).toBeGreaterThanOrEqual(100);
  expect(h.statements.count - beforeTotal).toBe(2);
});

test('a deleted employee: `employee(id:)` and `node(id:)` answer null, an update is NOT_FOUND and writes nothing', async () => {
  // Reads of one employee ask for its key only and test deleted_at on the row (WRITE_READ, liveRow): a deleted row
  // must still be refused.
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('gone.gql@example.com'));
  expect(created.status).toBe(201);
  const id = gid('Employee', created.body.id);
  expect((await h.scim('DELETE', `/Users/${created.body.id}`, t.tokens.scim)).status).toBe(204);
  const before = await h.employeeRow(t.tenant.id, created.body.id);
  expect(before?.deletedAt).not.toBeNull();

  const read = await h.graphql(t.tokens.read, `query($id: ID!) { employee(id: $id) { id } node(id: $id) { id } }`, { id });
  expect(read.body.errors).toBeUndefined();
  expect(read.body.data).toEqual({ employee: null, node: null });
  const update = await h.graphql(
    t.tokens.admin,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code } } }`,
    { input: { id, displayName: 'Back from the dead' } },
  );
  expect(update.body.data.updateEmployee).toEqual({ employee: null, userErrors: [{ code: 'NOT_FOUND' }] });
  const after = await h.employeeRow(t.tenant.id, created.body.id);
  expect({ version: after?.version, displayName: after?.displayName }).toEqual({ version: before?.version, displayName: before?.displayName });
});

test('a page reads only the columns its fields need, and answers exactly as `employee(id:)`, which reads them all', async () => {
  // Every field of Employee, from the schema itself: a field added later is covered without editing this test.
  const employeeType = (await createSchema()).getType('Employee') as GraphQLObjectType;
  const selection = Object.values(employeeType.getFields())
    .map((f) => (isLeafType(getNamedType(f.type)) ? f.name : `${f.name} { id }`))
    .join(' ');
  // IdP-managed employees (locked fields, an external id, groups) beside the LOCAL ones the other tests create.
  for (const name of ['columns-a', 'columns-b']) {
    expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`${name}@example.com`))).status).toBe(201);
  }
  const local = { username: 'columns-local@example.com', firstName: 'Local', lastName: 'Columns', email: 'columns-local@example.com' };
  expect((await h.graphql(t.tokens.admin, CREATE, { input: local })).body.data.createEmployee.userErrors).toEqual([]);
  // The newest first, so that this test's employees are on the page whatever the other tests created.
  const PAGE = (nodes: string) => `{ employees(first: 100, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ${nodes} } } }`;
  const ids = (await h.graphql(t.tokens.read, PAGE('id'))).body.data.employees.nodes.map((n: { id: string }) => n.id);
  const single = await Promise.all(
    ids.map(async (id: string) => (await h.graphql(t.tokens.read, `query($id: ID!) { employee(id: $id) { ${selection} } }`, { id })).body.data.employee),
  );
  expect(single.some((e) => e.managedBy === 'IDENTITY_PROVIDER' && e.lockedFields.length > 0)).toBe(true);
  expect(single.some((e) => e.managedBy === 'LOCAL')).toBe(true);
  // Each field alone (the fewest columns), then all of them together.
  for (const field of Object.values(employeeType.getFields())) {
    const one = isLeafType(getNamedType(field.type)) ? field.name : `${field.name} { id }`;
    const page = await h.graphql(t.tokens.read, PAGE(`id ${one}`));
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data.employees.nodes.map((n: Record<string, unknown>) => n[field.name])).toEqual(single.map((e) => e[field.name]));
  }
  const all = await h.graphql(t.tokens.read, PAGE(selection));
  const byId = (list: { id: string }[]) => Object.fromEntries(list.map((e) => [e.id, e]));
  expect(byId(all.body.data.employees.nodes)).toEqual(byId(single));
});

test('references read with the page are those the loaders read one by one, through nodes, edges and fragments', async () => {
  const FIELDS = `username primaryRole { id name description } team { id name description } loginAuthenticator { id name isDefault }`;
  const byUsername = (nodes: { username: string }[]) => Object.fromEntries(nodes.map((n) => [n.username, n]));
  const viaNodes = (await h.graphql(t.tokens.read, `{ employees(first: 100) { nodes { ${FIELDS} } } }`)).body.data.employees.nodes;
  const viaEdges = (await h.graphql(t.tokens.read, `{ employees(first: 100) { edges { node { ${FIELDS} } } } }`)).body.data.employees.edges;
  const viaFragment = (await h.graphql(t.tokens.read, `{ employees(first: 100) { nodes { ...E } } } fragment E on Employee { ${FIELDS} }`)).body.data
    .employees.nodes;
  // One by one, through `employee(id:)` (the loaders), for comparison.
  const ids = (await h.graphql(t.tokens.read, '{ employees(first: 100) { nodes { id } } }')).body.data.employees.nodes.map((n: { id: string }) => n.id);
  const single = await Promise.all(
    ids.map(async (id: string) => (await h.graphql(t.tokens.read, `query($id: ID!) { employee(id: $id) { ${FIELDS} } }`, { id })).body.data.employee),
  );
  expect(viaNodes.some((n: { team: unknown }) => n.team !== null)).toBe(true);
  expect(viaNodes.some((n: { primaryRole: unknown }) => n.primaryRole !== null)).toBe(true);
  expect(byUsername(viaNodes)).toEqual(byUsername(single));
  expect(byUsername(viaEdges.map((e: { node: { username: string } }) => e.node))).toEqual(byUsername(single));
  expect(byUsername(viaFragment)).toEqual(byUsername(single));
});

describe('the search index', () => {
  test('is the trigram index on the search document, with its pending list capped at 256 kB', async () => {
    const [index] = await h.dataSource.query(
      `SELECT am.amname, c.reloptions FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'ix_employees_search_trgm'`,
    );
    // A search reads the whole pending list; the 4 MB default cost a search 2-3 times its index time after write bursts.
    expect(index).toEqual({ amname: 'gin', reloptions: ['gin_pending_list_limit=256'] });
  });
});

describe('protection', () => {
  test('the depth limit refuses operations nested deeper than MAX_DEPTH, fragments included', () => {
    const schema = buildSchema('type Query { q: Query, x: Int }');
    const nested = (depth: number) => `${'{ q '.repeat(depth - 1)}{ x }${' }'.repeat(depth - 1)}`;
    expect(validate(schema, parse(nested(MAX_DEPTH)), [depthLimit])).toEqual([]);
    const errors = validate(schema, parse(nested(MAX_DEPTH + 1)), [depthLimit]);
    expect(errors[0].message).toContain(`the limit is ${MAX_DEPTH}`);
    const viaFragments = `{ ...F0 } ${Array.from({ length: MAX_DEPTH + 1 }, (_, i) => `fragment F${i} on Query { q { ${i < MAX_DEPTH ? `...F${i + 1}` : 'x'} } }`).join(' ')}`;
    expect(validate(schema, parse(viaFragments), [depthLimit])).toHaveLength(1);
  });

  test('the cost limit counts connections by `first`', async () => {
    const costly = `{ a: employees(first: 100) { nodes { id primaryRole { id name } team { id name } } }
      b: employees(first: 100) { nodes { id primaryRole { id name } team { id name } } }
      c: employees(first: 100) { nodes { id primaryRole { id name } team { id name } } } }`;
    expect((await h.graphql(t.tokens.read, costly)).body.errors).toBeUndefined();
    const aliases = Array.from({ length: 40 }, (_, i) => `e${i}: employees(first: 100) { nodes { id username email firstName lastName } }`).join(' ');
    const refused = await h.graphql(t.tokens.read, `{ ${aliases} }`);
    expect(refused.body.errors?.[0].message).toMatch(/costs \d+, over the limit/);
    expect(refused.body.data).toBeUndefined();
  });

  test('batched requests are refused', async () => {
    const result = await h.request('POST', '/graphql', {
      token: t.tokens.read,
      body: [{ query: '{ employees { totalCount } }' }, { query: '{ employees { totalCount } }' }],
      headers: { 'Content-Type': 'application/json' },
    });
    expect(result.status).toBe(400);
  });
});

describe('in production', () => {
  let prod: Harness;
  let token: string;
  beforeAll(async () => {
    prod = await Harness.start({ NODE_ENV: 'production' });
    token = (await prod.tenant('prod')).tokens.read;
  });
  afterAll(async () => prod?.close());

  test('no Sandbox page and no introspection unless configured; errors carry no stack traces', async () => {
    const page = await prod.request('GET', '/graphql', { headers: { Accept: 'text/html' } });
    expect(page.text).not.toContain('sandbox');
    const introspection = await prod.graphql(token, '{ __schema { types { name } } }');
    expect(introspection.body.errors?.[0].message).toMatch(/introspection/i);
    const bad = await prod.graphql(token, '{ employees(first: 0) { totalCount } }');
    expect(JSON.stringify(bad.body)).not.toMatch(/stacktrace|at \w+ \(/);
  });

  test('GRAPHQL_SANDBOX and GRAPHQL_INTROSPECTION turn them back on', async () => {
    const configured = await Harness.start({ NODE_ENV: 'production', GRAPHQL_SANDBOX: 'true', GRAPHQL_INTROSPECTION: 'true' });
    try {
      const readToken = (await configured.tenant('prod-configured')).tokens.read;
      const page = await configured.request('GET', '/graphql', { headers: { Accept: 'text/html' } });
      expect(page.text).toContain('sandbox');
      expect((await configured.graphql(readToken, '{ __schema { queryType { name } } }')).body.data.__schema.queryType.name).toBe('Query');
    } finally {
      await configured.close();
    }
  });
});

describe('employees in username order (the console default list)', () => {
  const WALK = `query($first: Int, $after: String, $orderBy: EmployeeOrder) {
    employees(first: $first, after: $after, orderBy: $orderBy) { totalCount nodes { username } pageInfo { hasNextPage endCursor } } }`;

  test('pages of 2 walk every live employee once, in either direction; a deleted one is left out', async () => {
    const own = await h.tenant('gql-by-username');
    const names = ['mia', 'Ana', 'zoe', 'bo', 'Kai', 'lee', 'eve'].map((n) => `${n}@walk.example`);
    const ids: Record<string, string> = {};
    for (const name of names) {
      const created = await h.scim('POST', '/Users', own.tokens.scim, oktaCreateUser(name));
      expect(created.status).toBe(201);
      ids[name] = created.body.id;
    }
    expect((await h.scim('DELETE', `/Users/${ids['lee@walk.example']}`, own.tokens.scim)).status).toBe(204);
    const live = names.filter((n) => n !== 'lee@walk.example').sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

    const walk = async (orderBy?: { field: string; direction: string }) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const result: any = await h.graphql(own.tokens.read, WALK, { first: 2, after, orderBy });
        expect(result.body.errors).toBeUndefined();
        const { nodes, pageInfo, totalCount } = result.body.data.employees;
        expect(totalCount).toBe(live.length);
        seen.push(...nodes.map((n: { username: string }) => n.username));
        if (!pageInfo.hasNextPage) return seen;
        after = pageInfo.endCursor;
      }
      throw new Error('the walk did not end');
    };
    expect(await walk()).toEqual(live);
    expect(await walk({ field: 'USERNAME', direction: 'ASC' })).toEqual(live);
    expect(await walk({ field: 'USERNAME', direction: 'DESC' })).toEqual([...live].reverse());
  });
});
