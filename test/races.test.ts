import { Harness, TestTenant } from './support/harness';
import { RaceTarget, disjointWrites, graphqlEditVersusDeactivation, identicalCreates, ifMatchWriters, importOptionalAttributes, membershipPatches } from './support/race-scenarios';

/**
 * Concurrent writers on one server (the same scenarios run across two server processes in instances.test.ts): no
 * duplicate from racing creates, no lost update, If-Match losers refused, exact group membership, and no employee
 * resurrected by a GraphQL edit racing the IdP's deactivation.
 */
let h: Harness;
let t: TestTenant;
let target: RaceTarget;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('races');
  target = {
    scim: (_i, method, path, body, headers) => h.scim(method, path, t.tokens.scim, body, headers),
    graphql: (_i, query, variables) => h.graphql(t.tokens.admin, query, variables),
    query: (sql, params) => h.dataSource.query(sql, params),
    tenantId: t.tenant.id,
  };
  await importOptionalAttributes(target);
});
afterAll(async () => h?.close());

test('50 identical SCIM creates at once: one 201, 49 × 409 uniqueness, one row', async () => {
  await identicalCreates(target, 'fifty@example.com');
});

test('concurrent PATCHes and a PUT of one employee, on different fields: all acknowledged, none lost', async () => {
  await disjointWrites(target, 'disjoint@example.com');
});

test('concurrent writers with the same If-Match: one 200, the others 412, only the winner written', async () => {
  await ifMatchWriters(target, 'if-match@example.com');
});

test('22 concurrent membership PATCHes (adds and removes) on one group: exactly the acknowledged members', async () => {
  await membershipPatches(target, 'members');
});

test('a GraphQL edit racing a SCIM deactivation, 20 times: always inactive, the edit applied on top or refused', async () => {
  await graphqlEditVersusDeactivation(target, 'resurrect');
});
