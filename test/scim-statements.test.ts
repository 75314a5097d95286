import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';

/**
 * SQL statements per SCIM user request: on this kind of machine every statement is a loopback round trip that costs
 * more server CPU than the rest of the request (docs/benchmarks.md), so the hot paths must not grow a statement
 * unnoticed. Counted through the DataSource's logger on both databases (transaction control not counted).
 */
let h: Harness;
let t: TestTenant;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('statements');
});
afterAll(async () => h?.close());

/** Statements one request costs, the provisioning-log insert that follows a write excluded. */
async function cost(request: () => Promise<HttpResult>, status: number): Promise<{ statements: number; result: HttpResult }> {
  await h.scim('GET', '/ServiceProviderConfig', t.tokens.scim); // authenticates (and caches) the token
  await h.app.provisioningLog.flush();
  const before = h.statements.count;
  const result = await request();
  expect(result.status).toBe(status);
  const statements = h.statements.count - before;
  await h.app.provisioningLog.flush();
  return { statements, result };
}

test('create 2, get 1, userName lookup 1, PUT 2, PATCH 2 statements', async () => {
  const create = await cost(() => h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('counted@example.com')), 201);
  expect(create.statements).toBe(2);
  const id = create.result.body.id as string;

  expect((await cost(() => h.scim('GET', `/Users/${id}`, t.tokens.scim), 200)).statements).toBe(1);
  const lookup = await cost(() => h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "counted@example.com"')}`, t.tokens.scim), 200);
  expect(lookup.result.body.totalResults).toBe(1);
  expect(lookup.statements).toBe(1);

  const put = await cost(
    () => h.scim('PUT', `/Users/${id}`, t.tokens.scim, { ...oktaCreateUser('counted@example.com'), name: { givenName: 'Put', familyName: 'Counted' } }),
    200,
  );
  expect(put.statements).toBe(2);
  const patch = await cost(
    () => h.scim('PATCH', `/Users/${id}`, t.tokens.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }),
    200,
  );
  expect(patch.statements).toBe(2);
  expect(await h.employeeRow(t.tenant.id, id)).toMatchObject({ firstName: 'Put', lastName: 'Counted', status: 'INACTIVE' });
});

test('a PUT still honours the tenant settings read in the same statement (a field the tenant does not import is ignored)', async () => {
  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{}' WHERE id = $1`, [t.tenant.id]);
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('settings@example.com'));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const put = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, { ...oktaCreateUser('settings@example.com'), displayName: 'Not Imported' });
  expect(put.status).toBe(200);
  expect((await h.employeeRow(t.tenant.id, id))?.displayName).toBeNull();

  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME}' WHERE id = $1`, [t.tenant.id]);
  const again = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, { ...oktaCreateUser('settings@example.com'), displayName: 'Imported' });
  expect(again.status).toBe(200);
  expect((await h.employeeRow(t.tenant.id, id))?.displayName).toBe('Imported');
});
