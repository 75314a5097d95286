import { GraphQLSchema, getNamedType, isObjectType } from 'graphql';
import { createSchema } from '../src/graphql/schema';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * Every connection answers a cursor it did not hand out with BAD_USER_INPUT, before any SQL runs, never with
 * INTERNAL_SERVER_ERROR (forged `after` values reached the database on employees, groups and Group.members); and the
 * cursors it hands out keep their format, so cursors held by clients across a deploy still work.
 */
let h: Harness;
let t: TestTenant;
let schema: GraphQLSchema;
let groupId: string;
let endpointId: string;

const UUID = '00000000-0000-4000-8000-000000000000';
const cursor = (values: unknown) => Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
const decode = (value: string) => JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[];
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

const PAGE = 'c: CONNECTION { totalCount pageInfo { hasNextPage endCursor } edges { cursor } }';

interface Case {
  /** The operation, with `$after` for the cursor; the connection is aliased `c` (under `group` for members). */
  query: string;
  variables?: () => Record<string, unknown>;
  /** The format of the cursors it hands out, as today's clients hold them. */
  format: RegExp;
  /** Cursors that are well-formed JSON arrays but not this connection's, next to the generic forgeries below. */
  forged: unknown[][];
}

const TIME = '2026-01-01T00:00:00.000000Z';
const NEWEST_FIRST_FORGED = [
  [TIME, 'not-a-uuid'],
  ['2026-01-01T00:00:00.000Z', UUID],
  ['2026-02-30T00:00:00.000000Z', UUID],
  ['0000-01-01T00:00:00.000000Z', UUID],
  [1767225600000, UUID],
  [UUID, TIME],
];
const newestFirst = (field: string, args = ''): Case => ({
  query: `query($after: String) { ${PAGE.replace('CONNECTION', `${field}(first: 1, after: $after${args})`)} }`,
  format: /^\["\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z","[0-9a-f-]{36}"\]$/,
  forged: NEWEST_FIRST_FORGED,
});
const catalog = (field: string): Case => ({
  query: `query($after: String) { ${PAGE.replace('CONNECTION', `${field}(first: 1, after: $after)`)} }`,
  format: /^\["NAME","[^"]+","[0-9a-f-]{36}"\]$/,
  forged: [
    ['NAME', 'x', 'not-a-uuid'],
    ['CREATED_AT', TIME, UUID],
    ['NAME', 'nul\u0000', UUID],
    ['NAME', 7, UUID],
    ['x', UUID],
  ],
});

/** Every connection of the schema, by `Type.field`; the walk below fails when one is missing. */
const CASES: Record<string, Case> = {
  'Query.employees': {
    query: `query($after: String) { ${PAGE.replace('CONNECTION', 'employees(first: 1, after: $after)')} }`,
    format: /^\["[^"]+","[0-9a-f-]{36}"\]$/,
    forged: [['x', 'not-a-uuid'], ['nul\u0000', UUID], [null, UUID], [1, UUID], [UUID], ['x', UUID, 'y']],
  },
  'Query.groups': {
    query: `query($after: String) { ${PAGE.replace('CONNECTION', 'groups(first: 1, after: $after)')} }`,
    format: /^\["Shift \d","[0-9a-f-]{36}"\]$/,
    forged: [['x', 'not-a-uuid'], ['nul\u0000', UUID], [null, UUID], [{}, UUID], [UUID]],
  },
  'Group.members': {
    query: `query($id: ID!, $after: String) { group(id: $id) { ${PAGE.replace('CONNECTION', 'members(first: 1, after: $after)')} } }`,
    variables: () => ({ id: gid('Group', groupId) }),
    format: /^\["[0-9a-f-]{36}"\]$/,
    forged: [['not-a-uuid'], [null], [42], ['x', UUID], [`${UUID}'`]],
  },
  'Query.roles': catalog('roles'),
  'Query.teams': catalog('teams'),
  'Query.loginAuthenticators': catalog('loginAuthenticators'),
  'Query.employeeTemplates': catalog('employeeTemplates'),
  'Query.auditEvents': newestFirst('auditEvents'),
  'Query.provisioningEvents': newestFirst('provisioningEvents'),
  'Query.accessTokens': newestFirst('accessTokens'),
  'Query.events': {
    query: `query($after: String) { ${PAGE.replace('CONNECTION', 'events(first: 1, after: $after)')} }`,
    format: /^\["seq","[1-9]\d*"\]$/,
    forged: [['seq', 'x'], ['seq', 1], ['seq', '-1'], ['seq', '1'.repeat(30)], ['x', '1'], ['seq', '1', '2']],
  },
  'WebhookEndpoint.deliveries': {
    query: `query($id: ID!, $after: String) { node(id: $id) { ... on WebhookEndpoint { ${PAGE.replace('CONNECTION', 'deliveries(first: 1, after: $after)')} } } }`,
    variables: () => ({ id: gid('WebhookEndpoint', endpointId) }),
    format: /^\["[1-9]\d*"\]$/,
    forged: [['x'], [1], ['-1'], [null], ['1', '2'], ['1'.repeat(30)]],
  },
};

/** Forgeries every connection refuses, whatever its parts. */
const GENERIC_FORGED = ['not-a-cursor', cursor({}), cursor([]), cursor('x'), 'W10'.repeat(2000), '%%%', cursor([[], [], []])];

function connectionOf(body: any): any {
  return body.data?.c ?? body.data?.group?.c ?? body.data?.node?.c ?? null;
}

beforeAll(async () => {
  schema = await createSchema();
  h = await Harness.start({ WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1' });
  t = await h.tenant('gql-cursors');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`cursor${i}@cursors.example`));
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
  for (let i = 0; i < 2; i++) {
    const group = await h.scim('POST', '/Groups', t.tokens.scim, { displayName: `Shift ${i}`, members: ids.map((value) => ({ value })) });
    expect(group.status).toBe(201);
    groupId = group.body.id;
  }
  for (const [mutation, payload] of [
    ['createRole', 'role'],
    ['createTeam', 'team'],
    ['createLoginAuthenticator', 'loginAuthenticator'],
    ['createEmployeeTemplate', 'employeeTemplate'],
  ]) {
    for (const name of ['First', 'Second']) {
      const result = await h.graphql(
        t.tokens.admin,
        `mutation($input: ${mutation.charAt(0).toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { ${payload} { id } userErrors { code } } }`,
        { input: { name: `${name} ${payload}` } },
      );
      expect(result.body.data[mutation].userErrors).toEqual([]);
    }
  }
  // A webhook endpoint made after the changes above (nothing is sent to it) with two deliveries in its log.
  const endpoint = await h.graphql(
    t.tokens.admin,
    'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }',
    { input: { url: 'http://127.0.0.1:9/cursors', eventTypes: ['EMPLOYEE_CREATED'] } },
  );
  endpointId = Buffer.from(endpoint.body.data.createWebhookEndpoint.webhookEndpoint.id, 'base64url').toString().split(':')[1];
  await h.dataSource.query(
    `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_seq, event_type, status, attempts, last_attempt_at, delivered_at)
     SELECT e.tenant_id, $2, e.id, n.seq, e.type, 'delivered', 1, now(), now() FROM event_numbers n JOIN events e ON e.tenant_id = n.tenant_id AND e.position = n.position WHERE n.tenant_id = $1 ORDER BY n.seq LIMIT 2`,
    [t.tenant.id, endpointId],
  );
  await h.app.provisioningLog.flush();
});
afterAll(async () => h?.close());

test('the table lists every connection of the schema', () => {
  const connections: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (getNamedType(field.type).name.endsWith('Connection') && field.args.some((a) => a.name === 'after')) {
        connections.push(`${type.name}.${field.name}`);
      }
    }
  }
  expect(Object.keys(CASES).sort()).toEqual(connections.sort());
});

describe.each(Object.entries(CASES))('%s', (_name, c) => {
  test('hands out cursors of the same format as before, and continues from them', async () => {
    const first = await h.graphql(t.tokens.read, c.query, { ...c.variables?.(), after: null });
    const page = connectionOf(first.body);
    expect(first.body.errors).toBeUndefined();
    expect(page.pageInfo.hasNextPage).toBe(true);
    const end = page.pageInfo.endCursor;
    expect(page.edges[0].cursor).toBe(end);
    expect(JSON.stringify(decode(end))).toMatch(c.format);
    const next = await h.graphql(t.tokens.read, c.query, { ...c.variables?.(), after: end });
    expect(next.body.errors).toBeUndefined();
    expect(connectionOf(next.body).edges[0].cursor).not.toBe(end);
  });

  test('answers a forged `after` with BAD_USER_INPUT, never an internal error', async () => {
    for (const after of [...GENERIC_FORGED, ...c.forged.map(cursor)]) {
      const result = await h.graphql(t.tokens.read, c.query, { ...c.variables?.(), after });
      expect({ after, errors: result.body.errors }).toEqual({
        after,
        errors: [expect.objectContaining({ message: '`after` is not a cursor returned by this connection.', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })],
      });
    }
  });
});

describe('employees: the cursor fits the order it continues', () => {
  const QUERY = `query($after: String, $orderBy: EmployeeOrder, $search: String) {
    employees(first: 1, after: $after, orderBy: $orderBy, search: $search) { pageInfo { endCursor } nodes { username } } }`;
  const BY_CREATION = { field: 'CREATED_AT', direction: 'ASC' };

  test('a date order takes the millisecond timestamps it hands out, and nothing else', async () => {
    const first = await h.graphql(t.tokens.read, QUERY, { orderBy: BY_CREATION });
    const end = first.body.data.employees.pageInfo.endCursor;
    expect(JSON.stringify(decode(end))).toMatch(/^\["\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","[0-9a-f-]{36}"\]$/);
    const next = await h.graphql(t.tokens.read, QUERY, { orderBy: BY_CREATION, after: end });
    expect(next.body.data.employees.nodes).toHaveLength(1);

    const byName = (await h.graphql(t.tokens.read, QUERY, {})).body.data.employees.pageInfo.endCursor;
    for (const after of [
      byName,
      cursor(['x', UUID]),
      cursor([TIME, UUID]),
      cursor(['2026-02-30T00:00:00.000Z', UUID]),
      cursor(['2026-01-01T00:00:00.000Z', 'not-a-uuid']),
    ]) {
      for (const field of ['CREATED_AT', 'UPDATED_AT']) {
        const result = await h.graphql(t.tokens.read, QUERY, { orderBy: { field, direction: 'DESC' }, after });
        expect(result.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      }
    }
  });

  test('a cursor of the longest name still continues', async () => {
    const name = '名'.repeat(256);
    const created = await h.graphql(
      t.tokens.admin,
      'mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { code field } } }',
      { input: { username: 'longest@cursors.example', firstName: name, lastName: 'L', email: 'longest@cursors.example' } },
    );
    expect(created.body.data.createEmployee.userErrors).toEqual([]);
    const variables = { orderBy: { field: 'FIRST_NAME', direction: 'ASC' }, search: 'longest@' };
    const first = await h.graphql(t.tokens.read, QUERY, variables);
    const end = first.body.data.employees.pageInfo.endCursor;
    expect(end.length).toBeGreaterThan(1000);
    const next = await h.graphql(t.tokens.read, QUERY, { ...variables, after: end });
    expect(next.body.errors).toBeUndefined();
    expect(next.body.data.employees.nodes).toEqual([]);
  });
});
