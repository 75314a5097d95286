import { createHash } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { Harness, TestTenant } from './support/harness';

/**
 * Issue 17: introspection within the limits, no field suggestions when introspection is off, and client mistakes
 * (APQ hash mismatch, subscriptions, forged cursors, lone surrogates) answered as such, never as internal errors.
 */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('gql-protection');
});
afterAll(async () => h?.close());

const codes = (body: any): string[] => (body?.errors ?? []).map((e: any) => e.extensions?.code);

describe('introspection', () => {
  test('the standard introspection query (as Sandbox sends it) still answers', async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const result = await h.graphql(t.tokens.read, query);
    expect(result.body.errors).toBeUndefined();
    expect(result.status).toBe(200);
    expect(result.body.data.__schema.types.length).toBeGreaterThan(10);
  });

  test('many __schema aliases in one operation are refused before anything is resolved', async () => {
    const aliases = Array.from({ length: 1100 }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(' ');
    const result = await h.graphql(t.tokens.read, `{ ${aliases} }`);
    expect(result.status).toBe(400);
    expect(codes(result.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(result.body.errors![0].message).toMatch(/__schema/);
    expect(result.body.data).toBeUndefined();
    expect(result.text.length).toBeLessThan(2_000);
  });

  test('two __schema fields, even through fragments, are refused; one is fine', async () => {
    const twice = await h.graphql(t.tokens.read, '{ ...A ...B } fragment A on Query { __schema { queryType { name } } } fragment B on Query { x: __schema { queryType { name } } }');
    expect(twice.status).toBe(400);
    expect(codes(twice.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const once = await h.graphql(t.tokens.read, '{ __schema { queryType { name } } }');
    expect(once.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  test('many __type lookups are refused', async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `t${i}: __type(name: "Query") { name }`).join(' ');
    const result = await h.graphql(t.tokens.read, `{ ${aliases} }`);
    expect(result.status).toBe(400);
    expect(codes(result.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const few = await h.graphql(t.tokens.read, '{ a: __type(name: "Query") { name } b: __type(name: "Employee") { name } }');
    expect(few.body).toEqual({ data: { a: { name: 'Query' }, b: { name: 'Employee' } } });
  });

  test('introspection counts in the cost: a type list asked for under many aliases is refused', async () => {
    const aliased = Array.from({ length: 300 }, (_, i) => `f${i}: fields { name args { name } }`).join(' ');
    const wide = await h.graphql(t.tokens.read, `{ __schema { types { ${aliased} } } }`);
    expect(wide.status).toBe(400);
    expect(wide.body.errors![0].message).toMatch(/costs/);
    expect(wide.text.length).toBeLessThan(2_000);
  });
});

describe('client mistakes are answered as such', () => {
  const post = (body: unknown) => h.request('POST', '/graphql', { token: t.tokens.read, body, headers: { 'Content-Type': 'application/json' } });

  test('an APQ hash that does not match the query: 400 BAD_REQUEST with a clear message', async () => {
    const query = '{ employees { totalCount } }';
    const wrong = createHash('sha256').update('something else').digest('hex');
    const result = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } });
    expect(result.status).toBe(400);
    expect(codes(result.body)).toEqual(['BAD_REQUEST']);
    expect(result.body.errors![0].message).toMatch(/sha256Hash does not match the query/);
    // The right hash still registers and answers.
    const right = createHash('sha256').update(query).digest('hex');
    const ok = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: right } } });
    expect(ok.body).toEqual({ data: { employees: { totalCount: 0 } } });
  });

  test('a subscription over HTTP: 400 BAD_REQUEST, subscriptions are served over WebSocket', async () => {
    const result = await post({ query: 'subscription { events { id } }' });
    expect(result.status).toBe(400);
    expect(codes(result.body)).toEqual(['BAD_REQUEST']);
    expect(result.body.errors![0].message).toMatch(/WebSocket/);
    // Not a valid subscription at all (no such field; __typename cannot be a subscription's root field).
    for (const query of ['subscription { employees { totalCount } }', 'subscription S { __typename }']) {
      const invalid = await post({ query });
      expect(invalid.status).toBe(400);
      expect(codes(invalid.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
  });

  test('a lone surrogate in a string input: a userError or BAD_USER_INPUT, never an internal error', async () => {
    const created = await h.graphql(
      t.tokens.admin,
      'mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { code } } }',
      { input: { username: 'surrogate@protection.example', firstName: 'S', lastName: 'R', email: 'surrogate@protection.example' } },
    );
    const id = created.body.data.createEmployee.employee.id;
    const attempts = [
      h.graphql(t.tokens.admin, 'mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { userErrors { code field } } }', { input: { id, displayName: 'a\ud800' } }),
      h.graphql(t.tokens.admin, 'mutation { updateEmployee(input: { id: "' + id + '", displayName: "a\\ud800" }) { userErrors { code field } } }'),
      h.graphql(t.tokens.admin, 'mutation($input: CreateRoleInput!) { createRole(input: $input) { userErrors { code field } } }', { input: { name: 'r\udc00' } }),
      h.graphql(t.tokens.read, '{ employees(search: "a\\ud800") { totalCount } }'),
    ];
    for (const result of await Promise.all(attempts)) {
      expect(codes(result.body)).not.toContain('INTERNAL_SERVER_ERROR');
      const payload = result.body.data && Object.values(result.body.data)[0];
      const refused = (payload as any)?.userErrors?.length > 0 || codes(result.body).includes('BAD_USER_INPUT') || result.status === 400;
      expect({ body: result.body, refused }).toEqual({ body: result.body, refused: true });
    }
  });
});

describe.each([
  ['off', { GRAPHQL_INTROSPECTION: 'false' }, false],
  ['on', { GRAPHQL_INTROSPECTION: 'true' }, true],
])('field suggestions with introspection %s', (_label, env, suggested) => {
  let own: Harness;
  let token: string;
  beforeAll(async () => {
    own = await Harness.start(env);
    token = (await own.tenant('gql-suggestions')).tokens.read;
  });
  afterAll(async () => own?.close());

  test(suggested ? 'are given' : 'are not given', async () => {
    // Each mistake, with the name a suggestion would reveal.
    const cases: [Promise<any>, string][] = [
      [own.graphql(token, '{ employes { totalCount } }'), '"employees"'],
      [own.graphql(token, '{ employees(frist: 1) { totalCount } }'), '"first"'],
      [own.graphql(token, '{ employees(orderBy: { field: USERNAM, direction: ASC }) { totalCount } }'), 'USERNAME'],
      [own.graphql(token, 'query($o: EmployeeOrder) { employees(orderBy: $o) { totalCount } }', { o: { field: 'USERNAM', direction: 'ASC' } }), 'USERNAME'],
      [own.graphql(token, 'query($o: EmployeeOrder) { employees(orderBy: $o) { totalCount } }', { o: { field: 'USERNAME', direktion: 'ASC' } }), '"direction"'],
      [own.graphql(token, 'query($o: EmployeOrder) { employees(orderBy: $o) { totalCount } }'), '"EmployeeOrder"'],
    ];
    for (const [pending, revealed] of cases) {
      const result = await pending;
      expect(result.status).toBe(400);
      const message: string = result.body.errors![0].message;
      if (suggested) expect(message).toMatch(/Did you mean/);
      else expect({ message, revealed: message.includes(revealed) || /Did you mean/.test(message) }).toEqual({ message, revealed: false });
    }
    if (!suggested) expect((await own.graphql(token, '{ __schema { queryType { name } } }')).status).toBe(400);
  });
});
