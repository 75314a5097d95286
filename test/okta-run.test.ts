import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { idpRequestBody } from './support/idp-fixtures';

/**
 * An Okta-shaped provisioning run of 1,000 people: for each, the userName lookup, the create, the read, a profile
 * PUT, deactivation and reactivation, with Okta's concurrency. Every answer must be the one Okta expects.
 */
const PEOPLE = 1000;
const CONCURRENCY = 8;
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('okta-run');
});
afterAll(async () => h?.close());

async function person(i: number, unexpected: string[]): Promise<void> {
  const userName = `person${i}@okta-run.example`;
  const expect = (step: string, status: number, wanted: number) => {
    if (status !== wanted) unexpected.push(`${userName} ${step}: ${status} (expected ${wanted})`);
  };
  const lookup = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`, t.tokens.scim);
  expect('lookup', lookup.status, 200);
  if (lookup.body?.totalResults !== 0) unexpected.push(`${userName} lookup found ${lookup.body?.totalResults}`);
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName, { externalId: `00u${i}` }));
  expect('create', created.status, 201);
  const id = created.body?.id;
  const read = await h.scim('GET', `/Users/${id}`, t.tokens.scim);
  expect('get', read.status, 200);
  const put = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, { ...read.body, name: { givenName: 'Updated', familyName: `Person ${i}` } });
  expect('put', put.status, 200);
  const deactivate = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, idpRequestBody('okta', '08-patch-deactivate'));
  expect('deactivate', deactivate.status, 200);
  if (deactivate.body?.active !== false) unexpected.push(`${userName} still active after deactivation`);
  const reactivate = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, idpRequestBody('okta', '09-patch-reactivate'));
  expect('reactivate', reactivate.status, 200);
  if (reactivate.body?.id !== id || reactivate.body?.name?.familyName !== `Person ${i}`) {
    unexpected.push(`${userName} changed identity or attributes on reactivation`);
  }
}

test(`${PEOPLE} people: lookup, create, get, PUT, deactivate, reactivate with no unexpected status`, async () => {
  const unexpected: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PEOPLE) await person(next++, unexpected);
    }),
  );
  expect(unexpected).toEqual([]);
  const [row] = await h.dataSource.query(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'ACTIVE')::int AS active,
            count(*) FILTER (WHERE first_name = 'Updated')::int AS updated
       FROM employees WHERE tenant_id = $1`,
    [t.tenant.id],
  );
  expect(row).toEqual({ n: PEOPLE, active: PEOPLE, updated: PEOPLE });
  const walk = await h.scim('GET', '/Users?startIndex=1&count=200', t.tokens.scim);
  expect(walk.body.totalResults).toBe(PEOPLE);
}, 300_000);
