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
