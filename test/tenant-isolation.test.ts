import { employeeService } from '../src/services/employee.service';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/** A tenant's tokens never see or change another tenant's employees: SCIM 404, GraphQL null / absent / NOT_FOUND. */
let h: Harness;
let a: TestTenant;
let b: TestTenant;
let bEmployeeId: string;
let bGlobalId: string;

beforeAll(async () => {
  h = await Harness.start();
  a = await h.tenant('tenant-a');
  b = await h.tenant('tenant-b');
  const created = await h.scim('POST', '/Users', b.tokens.scim, oktaCreateUser('shared.name@example.com'));
  expect(created.status).toBe(201);
  bEmployeeId = created.body.id;
  bGlobalId = Buffer.from(`Employee:${bEmployeeId}`).toString('base64url');
});
afterAll(async () => h?.close());

test("SCIM: tenant A's token gets 404 for tenant B's employee and cannot replace it", async () => {
  const before = await h.employeeRow(b.tenant.id, bEmployeeId);
  const get = await h.scim('GET', `/Users/${bEmployeeId}`, a.tokens.scim);
  expect(get.status).toBe(404);
  expect(get.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);

  const put = await h.scim('PUT', `/Users/${bEmployeeId}`, a.tokens.scim, oktaCreateUser('hijack@example.com'));
  expect(put.status).toBe(404);
  expect(await h.employeeRow(b.tenant.id, bEmployeeId)).toEqual(before);
});

test('SCIM: the same username may exist in two tenants', async () => {
  const created = await h.scim('POST', '/Users', a.tokens.scim, oktaCreateUser('shared.name@example.com'));
  expect(created.status).toBe(201);
  expect(created.body.id).not.toBe(bEmployeeId);
});

test("GraphQL: tenant A's tokens do not see tenant B's employee", async () => {
  for (const token of [a.tokens.admin, a.tokens.read]) {
    const byId = await h.graphql(token, 'query($id: ID!) { employee(id: $id) { id username } }', { id: bGlobalId });
    expect(byId.body.errors).toBeUndefined();
    expect(byId.body.data.employee).toBeNull();

    const list = await h.graphql(token, '{ employees(search: "shared.name") { totalCount nodes { id } } }');
    const ids = list.body.data.employees.nodes.map((n: { id: string }) => n.id);
    expect(ids).not.toContain(bGlobalId);
    expect(list.body.data.employees.totalCount).toBe(ids.length);
  }
});

test("GraphQL: tenant A's admin cannot change tenant B's employee, and nothing changes in B", async () => {
  const before = await h.employeeRow(b.tenant.id, bEmployeeId);
  const result = await h.graphql(
    a.tokens.admin,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field } } }`,
    { input: { id: bGlobalId, displayName: 'Hijacked' } },
  );
  expect(result.body.data.updateEmployee).toEqual({ employee: null, userErrors: [{ code: 'NOT_FOUND', field: ['input', 'id'] }] });
  expect(await h.employeeRow(b.tenant.id, bEmployeeId)).toEqual(before);
});

test("GraphQL: tenant A cannot point its employee at tenant B's role", async () => {
  const local = await employeeService.createLocal(a.ctx, {
    username: 'role-thief@example.com',
    firstName: 'R',
    lastName: 'T',
    email: 'role-thief@example.com',
  });
  const [bRole] = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Administrator'`, [b.tenant.id]);
  const before = await h.employeeRow(a.tenant.id, local.id);
  const result = await h.graphql(
    a.tokens.admin,
    `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field } } }`,
    {
      input: {
        id: Buffer.from(`Employee:${local.id}`).toString('base64url'),
        primaryRoleId: Buffer.from(`Role:${bRole.id}`).toString('base64url'),
      },
    },
  );
  expect(result.body.data.updateEmployee.userErrors).toEqual([{ code: 'INVALID_VALUE', field: ['input', 'primaryRoleId'] }]);
  expect(await h.employeeRow(a.tenant.id, local.id)).toEqual(before);
});

test('the database itself refuses a cross-tenant reference (composite foreign key)', async () => {
  const [bRole] = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Agent'`, [b.tenant.id]);
  await expect(
    h.dataSource.query(
      `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by, primary_role_id)
       VALUES ($1, 'fk@example.com', 'fk@example.com', 'F', 'K', 'fk@example.com', 'LOCAL', $2)`,
      [a.tenant.id, bRole.id],
    ),
  ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23503' }) });
});

test('a SCIM token is refused on GraphQL and admin/read tokens are refused on SCIM', async () => {
  const gql = await h.graphql(a.tokens.scim, '{ employees { totalCount } }');
  expect(gql.status).toBe(403);
  expect(gql.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  for (const token of [a.tokens.admin, a.tokens.read]) {
    const scim = await h.scim('GET', `/Users/${bEmployeeId}`, token);
    expect(scim.status).toBe(403);
    expect(scim.body.status).toBe('403');
  }
});

test('concurrent SCIM writes of two tenants share statements per tenant only: team names resolve in their own tenant, a PUT of the other tenant\'s employee is 404', async () => {
  const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
  const teams: Record<string, string> = {};
  const settings = await h.dataSource.query(`SELECT id, scim_import_fields FROM tenants WHERE id = ANY($1)`, [[a.tenant.id, b.tenant.id]]);
  for (const t of [a, b]) {
    await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{TEAM,DISPLAY_NAME}' WHERE id = $1`, [t.tenant.id]);
    const [team] = await h.dataSource.query(`INSERT INTO teams (tenant_id, name) VALUES ($1, 'Night') RETURNING id`, [t.tenant.id]);
    teams[t.tenant.id] = team.id;
  }
  try {
    // Each tenant's first create learns its settings; after it, PUTs take the one-statement path.
    const own: Record<string, string> = {};
    for (const [t, name] of [[a, 'own-a@example.com'], [b, 'own-b@example.com']] as const) {
      const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(name, { [EXT]: { team: 'Night' } }));
      expect(created.status).toBe(201);
      own[t.tenant.id] = created.body.id;
    }
    const before = await h.employeeRow(b.tenant.id, bEmployeeId);
    const results = await Promise.all([
      h.scim('PUT', `/Users/${own[a.tenant.id]}`, a.tokens.scim, oktaCreateUser('own-a@example.com', { displayName: 'A put', [EXT]: { team: 'night' } })),
      h.scim('PUT', `/Users/${own[b.tenant.id]}`, b.tokens.scim, oktaCreateUser('own-b@example.com', { displayName: 'B put', [EXT]: { team: 'NIGHT' } })),
      h.scim('PUT', `/Users/${bEmployeeId}`, a.tokens.scim, oktaCreateUser('shared.name@example.com', { displayName: 'Hijacked', [EXT]: { team: 'Night' } })),
      h.scim('POST', '/Users', a.tokens.scim, oktaCreateUser('new-a@example.com', { [EXT]: { team: 'Night' } })),
      h.scim('POST', '/Users', b.tokens.scim, oktaCreateUser('new-b@example.com', { [EXT]: { team: 'Night' } })),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 404, 201, 201]);
    expect(await h.employeeRow(b.tenant.id, bEmployeeId)).toEqual(before);
    expect(await h.employeeRow(a.tenant.id, own[a.tenant.id])).toMatchObject({ displayName: 'A put', teamId: teams[a.tenant.id] });
    expect(await h.employeeRow(b.tenant.id, own[b.tenant.id])).toMatchObject({ displayName: 'B put', teamId: teams[b.tenant.id] });
    expect(await h.employeeRow(a.tenant.id, results[3].body.id)).toMatchObject({ teamId: teams[a.tenant.id] });
    expect(await h.employeeRow(b.tenant.id, results[4].body.id)).toMatchObject({ teamId: teams[b.tenant.id] });
  } finally {
    for (const { id, scim_import_fields } of settings) await h.dataSource.query(`UPDATE tenants SET scim_import_fields = $2 WHERE id = $1`, [id, scim_import_fields]);
  }
});
