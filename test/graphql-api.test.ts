import http from 'node:http';
import { AddressInfo } from 'node:net';
import { graphqlBodyErrors } from '../src/graphql/body-errors';
import type { HttpRequest } from '../src/http/types';
import { logger } from '../src/logging';
import { employeeService } from '../src/services/employee.service';
import { Harness, TestTenant } from './support/harness';

/** The GraphQL surface: authentication, scopes, paging and error masking, through Apollo over HTTP. */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('gql');
  for (let i = 0; i < 25; i++) {
    const n = String(i).padStart(2, '0');
    await employeeService.createLocal(t.ctx, {
      username: `agent${n}@gql.test`,
      firstName: `First${n}`,
      lastName: i % 2 === 0 ? 'Even' : 'Odd',
      email: `agent${n}@gql.test`,
    });
  }
});
afterAll(async () => h?.close());

const PAGE = `query($first: Int, $after: String, $search: String) {
  employees(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id username } }
    nodes { username }
  }
}`;

test('no token or a bad token: UNAUTHENTICATED with HTTP 401', async () => {
  for (const token of [undefined, 'rc_admin_bogus-bogus-bogus-bogus']) {
    const result = await h.graphql(token, '{ employees { totalCount } }');
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.body.data).toBeUndefined();
  }
});

test('a revoked token stops working', async () => {
  const { tokenService } = await import('../src/services/token.service');
  const created = await tokenService.create(t.ctx, { name: 'short-lived', scope: 'read' });
  expect((await h.graphql(created.secret, '{ employees { totalCount } }')).status).toBe(200);
  await tokenService.revoke(t.ctx, created.token.id);
  expect((await h.graphql(created.secret, '{ employees { totalCount } }')).status).toBe(401);
});

test('a read token can query but cannot mutate (FORBIDDEN, nothing written)', async () => {
  const page = await h.graphql(t.tokens.read, PAGE, { first: 1 });
  const id = page.body.data.employees.edges[0].node.id;
  const before = await h.dataSource.query('SELECT * FROM employees WHERE tenant_id = $1 ORDER BY id', [t.tenant.id]);
  const result = await h.graphql(
    t.tokens.read,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } } }`,
    { input: { id, displayName: 'Nope' } },
  );
  expect(result.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(result.body.data?.updateEmployee ?? null).toBeNull();
  expect(await h.dataSource.query('SELECT * FROM employees WHERE tenant_id = $1 ORDER BY id', [t.tenant.id])).toEqual(before);
});

test('keyset paging walks every employee once, in username order, with an exact totalCount', async () => {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 10; guard++) {
    const result: any = await h.graphql(t.tokens.admin, PAGE, { first: 10, after });
    const connection = result.body.data.employees;
    expect(connection.totalCount).toBe(25);
    expect(connection.nodes.map((n: { username: string }) => n.username)).toEqual(
      connection.edges.map((e: { node: { username: string } }) => e.node.username),
    );
    seen.push(...connection.nodes.map((n: { username: string }) => n.username));
    expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  expect(seen).toHaveLength(25);
  expect(seen).toEqual([...seen].sort());
  expect(new Set(seen).size).toBe(25);
});

test('search matches names, username and email by substring, case-insensitively', async () => {
  const byLast = await h.graphql(t.tokens.admin, PAGE, { search: 'odd', first: 100 });
  expect(byLast.body.data.employees.totalCount).toBe(12);
  const byFirst = await h.graphql(t.tokens.admin, PAGE, { search: 'FIRST07', first: 100 });
  expect(byFirst.body.data.employees.nodes).toEqual([{ username: 'agent07@gql.test' }]);
  const byFullName = await h.graphql(t.tokens.admin, PAGE, { search: 'First07 Odd', first: 100 });
  expect(byFullName.body.data.employees.totalCount).toBe(1);
  const wildcard = await h.graphql(t.tokens.admin, PAGE, { search: '%', first: 100 });
  expect(wildcard.body.data.employees.totalCount).toBe(0);
});

test('a search paged in small pages keeps counting every match, on the first page and after it', async () => {
  // The first page of a search counts its matches in the page's own statement; later pages count separately.
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 10; guard++) {
    const result: any = await h.graphql(t.tokens.admin, PAGE, { search: 'odd', first: 5, after });
    const connection = result.body.data.employees;
    expect(connection.totalCount).toBe(12);
    seen.push(...connection.nodes.map((n: { username: string }) => n.username));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  expect(seen).toHaveLength(12);
  expect(new Set(seen).size).toBe(12);
  const none = await h.graphql(t.tokens.admin, PAGE, { search: 'nobody-matches-this', first: 5 });
  expect(none.body.data.employees).toMatchObject({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false } });
});

test('first outside 1..100 and a forged cursor are BAD_USER_INPUT', async () => {
  for (const variables of [{ first: 0 }, { first: 101 }, { first: 5, after: 'not-a-cursor' }]) {
    const result = await h.graphql(t.tokens.admin, PAGE, variables);
    expect(result.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  }
});

test('validation problems come back as userErrors, all at once, and nothing is written', async () => {
  const page = await h.graphql(t.tokens.admin, PAGE, { first: 1 });
  const id = page.body.data.employees.edges[0].node.id;
  const before = await h.dataSource.query('SELECT * FROM employees WHERE tenant_id = $1 ORDER BY id', [t.tenant.id]);
  const result = await h.graphql(
    t.tokens.admin,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field message } } }`,
    { input: { id, email: 'not-an-email', timeZone: 'Nowhere/City', mobileNumber: '12', firstName: null, displayName: 'ok' } },
  );
  const errors = result.body.data.updateEmployee.userErrors;
  expect(errors.map((e: { code: string; field: string[] }) => `${e.code}:${e.field[1]}`).sort()).toEqual([
    'INVALID_VALUE:email',
    'INVALID_VALUE:mobileNumber',
    'INVALID_VALUE:timeZone',
    'REQUIRED:firstName',
  ]);
  expect(await h.dataSource.query('SELECT * FROM employees WHERE tenant_id = $1 ORDER BY id', [t.tenant.id])).toEqual(before);

  const second = await h.graphql(
    t.tokens.admin,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field message } } }`,
    { input: { id, email: 'not-an-email', timeZone: 'Nowhere/City', mobileNumber: '12', displayName: 'ok' } },
  );
  expect(second.body.data.updateEmployee.userErrors.map((e: { code: string; field: string[] }) => `${e.code}:${e.field[1]}`).sort()).toEqual([
    'INVALID_VALUE:email',
    'INVALID_VALUE:mobileNumber',
    'INVALID_VALUE:timeZone',
  ]);
  expect(await h.dataSource.query('SELECT * FROM employees WHERE tenant_id = $1 ORDER BY id', [t.tenant.id])).toEqual(before);
});

test('a username taken by another employee is a UNIQUENESS userError', async () => {
  const page = await h.graphql(t.tokens.admin, PAGE, { first: 2 });
  const [first, second] = page.body.data.employees.edges.map((e: { node: { id: string; username: string } }) => e.node);
  const result = await h.graphql(
    t.tokens.admin,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field } } }`,
    { input: { id: second.id, username: first.username.toUpperCase() } },
  );
  expect(result.body.data.updateEmployee.userErrors).toEqual([{ code: 'UNIQUENESS', field: ['input', 'username'] }]);
});

test('Apollo Sandbox is served to a browser outside production', async () => {
  const page = await h.request('GET', '/graphql', { headers: { Accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(page.text).toContain('sandbox');
});

test('/graphql is matched as Express matched it: any case, a trailing slash, a query string; /graphqlx is not it', async () => {
  const query = { query: '{ viewer { scope } }' };
  for (const url of ['/graphql', '/GraphQL', '/graphql/', '/graphql?x=1']) {
    const result = await h.request('POST', url, { token: t.tokens.admin, body: query, headers: { 'Content-Type': 'application/json' } });
    expect({ url, status: result.status, body: result.body }).toEqual({ url, status: 200, body: { data: { viewer: { scope: 'ADMIN' } } } });
  }
  const elsewhere = await h.request('POST', '/graphqlx', { token: t.tokens.admin, body: query, headers: { 'Content-Type': 'application/json' } });
  expect(elsewhere.status).toBe(404);
  expect(elsewhere.body).toMatchObject({ error: 'not_found' });
  // GET with the operation in the query string, as Apollo allows for queries (not mutations, CSRF prevention aside).
  const get = await h.request('GET', `/graphql?query=${encodeURIComponent('{ viewer { scope } }')}`, {
    token: t.tokens.admin,
    headers: { 'Apollo-Require-Preflight': 'true' },
  });
  expect({ status: get.status, body: get.body }).toEqual({ status: 200, body: { data: { viewer: { scope: 'ADMIN' } } } });
});

test('a failure before Apollo that is not a body refusal answers 500 GraphQL-shaped, with the request id and no detail', async () => {
  // No request reaches this path from outside (every body-parser refusal is a 4xx): driven directly, over real HTTP.
  const server = http.createServer((incoming, res) => {
    const req = Object.assign(incoming, { requestId: 'req-500', log: logger.child({ requestId: 'req-500' }) }) as HttpRequest;
    graphqlBodyErrors(new Error('secret internals'), req, res, () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, { method: 'POST' });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-500' } }] });
    expect(text).not.toContain('secret internals');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('probes answer JSON', async () => {
  expect((await h.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
  expect((await h.request('GET', '/readyz')).body).toMatchObject({ status: 'ready' });
});
