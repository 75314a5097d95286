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

test('create 1 (once the tenant defaults are known), get 1, userName lookup 1, PUT 2, PATCH 2 statements', async () => {
  // The tenant's first create reads its defaults; later ones only re-check them inside the INSERT.
  const first = await cost(() => h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('first@example.com')), 201);
  expect(first.statements).toBeLessThanOrEqual(2);
  const create = await cost(() => h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('counted@example.com')), 201);
  expect(create.statements).toBe(1);
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

test('a create honours tenant settings changed behind this process (by SQL, as another instance would)', async () => {
  const tenant = await h.tenant('stale-defaults');
  const post = (userName: string, overrides: Record<string, unknown> = {}) =>
    h.scim('POST', '/Users', tenant.tokens.scim, oktaCreateUser(userName, overrides));
  const row = async (userName: string) =>
    (await h.dataSource.query('SELECT * FROM employees WHERE tenant_id = $1 AND username = $2', [tenant.tenant.id, userName]))[0];
  const role = async (name: string) =>
    (await h.dataSource.query('SELECT id FROM roles WHERE tenant_id = $1 AND name = $2', [tenant.tenant.id, name]))[0].id as string;

  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{}' WHERE id = $1`, [tenant.tenant.id]);
  expect((await post('one@example.com', { displayName: 'Ignored' })).status).toBe(201);
  expect(await row('one@example.com')).toMatchObject({ display_name: null, primary_role_id: await role('Agent') });

  // Import fields and the default role change in the database only: the next create must see both.
  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME}', default_role_id = $2 WHERE id = $1`, [
    tenant.tenant.id,
    await role('Supervisor'),
  ]);
  expect((await post('two@example.com', { displayName: 'Imported' })).status).toBe(201);
  expect(await row('two@example.com')).toMatchObject({ display_name: 'Imported', primary_role_id: await role('Supervisor') });

  // The default role deleted behind its back: the actionable SCIM error, nothing written.
  await h.dataSource.query('UPDATE employees SET primary_role_id = NULL WHERE tenant_id = $1', [tenant.tenant.id]);
  await h.dataSource.query('UPDATE tenants SET default_role_id = NULL WHERE id = $1', [tenant.tenant.id]);
  await h.dataSource.query(`DELETE FROM roles WHERE tenant_id = $1 AND name = 'Agent'`, [tenant.tenant.id]);
  const refused = await post('three@example.com');
  expect(refused.status).toBe(400);
  expect(refused.body.detail).toContain('"Agent" does not exist');
  expect(await row('three@example.com')).toBeUndefined();

  // ... and created again: the next create succeeds without a restart.
  await h.dataSource.query(`INSERT INTO roles (tenant_id, name) VALUES ($1, 'Agent')`, [tenant.tenant.id]);
  expect((await post('three@example.com')).status).toBe(201);
  expect(await row('three@example.com')).toMatchObject({ primary_role_id: await role('Agent') });
});

test('concurrent list pages that need the same total (sharing a count in flight) all get the exact total', async () => {
  const tenant = await h.tenant('shared-count');
  const create = async (i: number) =>
    expect((await h.scim('POST', '/Users', tenant.tokens.scim, oktaCreateUser(`count${i}@example.com`))).status).toBe(201);
  for (let i = 0; i < 5; i++) await create(i);
  // Full first pages (count 2): each needs the exact total, which a short page would have told by itself.
  const burst = () => Promise.all(Array.from({ length: 8 }, () => h.scim('GET', '/Users?startIndex=1&count=2', tenant.tokens.scim)));
  for (const page of await burst()) expect(page.body).toMatchObject({ totalResults: 5, itemsPerPage: 2 });
  await create(5);
  for (const page of await burst()) expect(page.body).toMatchObject({ totalResults: 6, itemsPerPage: 2 });
  // A count shared in flight is per tenant: the first tenant's total is untouched by this one.
  expect((await h.scim('GET', '/Users?startIndex=1&count=1', t.tokens.scim)).body.totalResults).not.toBe(6);
});
