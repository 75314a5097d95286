import { employeeService } from '../src/services/employee.service';
import { EMPLOYEE_FIELDS, lockedFields } from '../src/services/ownership';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { someoneWaitsForALock } from './support/lock-waits';

/**
 * The ownership rule, proven through both surfaces and the database: GraphQL refuses every IdP-owned field and
 * status on an IdP-managed employee and the stored row stays as it was; SCIM changes the same field; fields outside
 * the rule (the primary role) stay editable in GraphQL.
 */
let h: Harness;
let acme: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  acme = await h.tenant('acme');
});
afterAll(async () => h?.close());

const UPDATE = `mutation Update($input: UpdateEmployeeInput!) {
  updateEmployee(input: $input) {
    employee { id username firstName lastName email status managedBy lockedFields primaryRole { name } }
    userErrors { code field message }
  }
}`;

async function scimEmployee(userName: string): Promise<{ id: string; globalId: string }> {
  const created = await h.scim('POST', '/Users', acme.tokens.scim, oktaCreateUser(userName));
  expect(created.status).toBe(201);
  const found = await h.graphql(acme.tokens.admin, `query($s: String) { employees(search: $s) { nodes { id } } }`, {
    s: userName,
  });
  return { id: created.body.id, globalId: found.body.data.employees.nodes[0].id };
}

/** For each IdP-owned field: a GraphQL value that differs, and a SCIM body change that sets the same field. */
const IDP_OWNED = [
  { field: 'username', graphql: 'renamed@acme.test', scim: { userName: 'renamed-by-okta@acme.test' }, column: 'username', expected: 'renamed-by-okta@acme.test' },
  { field: 'firstName', graphql: 'Mallory', scim: { name: { givenName: 'Grace', familyName: 'Tester' } }, column: 'firstName', expected: 'Grace' },
  { field: 'lastName', graphql: 'Mallory', scim: { name: { givenName: 'Owner', familyName: 'Hopper' } }, column: 'lastName', expected: 'Hopper' },
  { field: 'email', graphql: 'mallory@evil.test', scim: { emails: [{ value: 'new-mail@acme.test', type: 'work', primary: true }] }, column: 'email', expected: 'new-mail@acme.test' },
  { field: 'status', graphql: 'INACTIVE', scim: { active: false }, column: 'status', expected: 'INACTIVE' },
] as const;

test('the ownership table locks exactly username, names, email and status', () => {
  expect(lockedFields('IDENTITY_PROVIDER')).toEqual(['username', 'firstName', 'lastName', 'email', 'status']);
  expect(lockedFields('LOCAL')).toEqual([]);
  expect(EMPLOYEE_FIELDS).toEqual(expect.arrayContaining(['primaryRoleId', 'teamId', 'displayName']));
});

describe.each(IDP_OWNED)('IdP-owned field $field', ({ field, graphql, scim, column, expected }) => {
  test('GraphQL refuses it on an IdP-managed employee and the row is unchanged; SCIM changes it', async () => {
    const userName = `owner-${field.toLowerCase()}@acme.test`;
    const { id, globalId } = await scimEmployee(userName);
    const before = await h.employeeRow(acme.tenant.id, id);

    const refused = await h.graphql(acme.tokens.admin, UPDATE, { input: { id: globalId, [field]: graphql } });
    expect(refused.status).toBe(200);
    expect(refused.body.errors).toBeUndefined();
    expect(refused.body.data.updateEmployee.employee).toBeNull();
    expect(refused.body.data.updateEmployee.userErrors).toEqual([
      { code: 'IDP_MANAGED_FIELD', field: ['input', field], message: expect.stringContaining('identity provider') },
    ]);
    const after = await h.employeeRow(acme.tenant.id, id);
    expect(after).toEqual(before);

    // Okta's profile push: GET, then PUT the whole object back with the change.
    const current = await h.scim('GET', `/Users/${id}`, acme.tokens.scim);
    const put = await h.scim('PUT', `/Users/${id}`, acme.tokens.scim, { ...current.body, ...scim });
    expect(put.status).toBe(200);
    const changed = await h.employeeRow(acme.tenant.id, id);
    expect(changed?.[column]).toBe(expected);
    expect(changed?.version).toBe(before!.version + 1);
  });
});

test('one IDP_MANAGED_FIELD error per refused field, and the allowed change in the same request is not applied', async () => {
  const { id, globalId } = await scimEmployee('several@acme.test');
  const before = await h.employeeRow(acme.tenant.id, id);
  const result = await h.graphql(acme.tokens.admin, UPDATE, {
    input: { id: globalId, firstName: 'X', lastName: 'Y', status: 'INACTIVE', displayName: 'Allowed but not alone' },
  });
  const errors = result.body.data.updateEmployee.userErrors;
  expect(errors.map((e: { field: string[] }) => e.field[1]).sort()).toEqual(['firstName', 'lastName', 'status']);
  expect(errors.every((e: { code: string }) => e.code === 'IDP_MANAGED_FIELD')).toBe(true);
  expect(await h.employeeRow(acme.tenant.id, id)).toEqual(before);
});

test('resending an IdP-owned field with its current value is not a change and is accepted', async () => {
  const { id, globalId } = await scimEmployee('same-value@acme.test');
  const result = await h.graphql(acme.tokens.admin, UPDATE, {
    input: { id: globalId, username: 'same-value@acme.test', displayName: 'Desk 12' },
  });
  expect(result.body.data.updateEmployee.userErrors).toEqual([]);
  expect((await h.employeeRow(acme.tenant.id, id))?.displayName).toBe('Desk 12');
});

test('GraphQL can change the primary role of an IdP-managed employee, and it is audited', async () => {
  const { id, globalId } = await scimEmployee('role-change@acme.test');
  expect((await h.employeeRow(acme.tenant.id, id))?.primaryRoleId).not.toBeNull();
  const [supervisor] = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Supervisor'`, [
    acme.tenant.id,
  ]);
  const roleGlobalId = Buffer.from(`Role:${supervisor.id}`).toString('base64url');
  const result = await h.graphql(acme.tokens.admin, UPDATE, { input: { id: globalId, primaryRoleId: roleGlobalId } });
  expect(result.body.data.updateEmployee.userErrors).toEqual([]);
  expect(result.body.data.updateEmployee.employee.primaryRole).toEqual({ name: 'Supervisor' });
  expect(result.body.data.updateEmployee.employee.managedBy).toBe('IDENTITY_PROVIDER');
  expect((await h.employeeRow(acme.tenant.id, id))?.primaryRoleId).toBe(supervisor.id);
  const audit = await h.dataSource.query(
    `SELECT actor_surface, changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'employee.updated'`,
    [acme.tenant.id, id],
  );
  expect(audit).toHaveLength(1);
  expect(audit[0].actor_surface).toBe('graphql');
  expect(audit[0].changes.primaryRoleId.to).toBe(supervisor.id);
});

test('a LOCAL employee is fully editable in GraphQL, IdP-owned fields and status included', async () => {
  const local = await employeeService.createLocal(acme.ctx, {
    username: 'local@acme.test',
    firstName: 'Lo',
    lastName: 'Cal',
    email: 'local@acme.test',
  });
  const globalId = Buffer.from(`Employee:${local.id}`).toString('base64url');
  const result = await h.graphql(acme.tokens.admin, UPDATE, {
    input: {
      id: globalId,
      username: 'local2@acme.test',
      firstName: 'Lou',
      lastName: 'Callahan',
      email: 'lou@acme.test',
      status: 'INACTIVE',
    },
  });
  expect(result.body.data.updateEmployee.userErrors).toEqual([]);
  expect(result.body.data.updateEmployee.employee.lockedFields).toEqual([]);
  const row = await h.employeeRow(acme.tenant.id, local.id);
  expect(row).toMatchObject({
    username: 'local2@acme.test',
    firstName: 'Lou',
    lastName: 'Callahan',
    email: 'lou@acme.test',
    status: 'INACTIVE',
    managedBy: 'LOCAL',
  });
  expect(row?.deactivatedAt).toBeInstanceOf(Date);
});

test('a SCIM write to a LOCAL employee makes it IdP-managed (claimed) and audits the claim', async () => {
  const local = await employeeService.createLocal(acme.ctx, {
    username: 'claimed@acme.test',
    firstName: 'Claire',
    lastName: 'Med',
    email: 'claimed@acme.test',
  });
  const put = await h.scim('PUT', `/Users/${local.id}`, acme.tokens.scim, oktaCreateUser('claimed@acme.test'));
  expect(put.status).toBe(200);
  const row = await h.employeeRow(acme.tenant.id, local.id);
  expect(row?.managedBy).toBe('IDENTITY_PROVIDER');
  const [claim] = await h.dataSource.query(
    `SELECT actor_surface, changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'employee.claimed'`,
    [acme.tenant.id, local.id],
  );
  expect(claim.actor_surface).toBe('scim');
  expect(claim.changes.managedBy).toEqual({ from: 'LOCAL', to: 'IDENTITY_PROVIDER' });
});

// Needs a second connection that holds the row while GraphQL's write waits for it (PGlite has one).
(process.env.DATABASE_URL ? test : test.skip)(
  'a GraphQL edit of a LOCAL employee that the IdP claims meanwhile is refused for IdP-owned fields, and the row keeps the claim',
  async () => {
    const local = await employeeService.createLocal(acme.ctx, {
      username: 'race-claim@acme.test',
      firstName: 'Rae',
      lastName: 'Local',
      email: 'race-claim@acme.test',
    });
    const globalId = Buffer.from(`Employee:${local.id}`).toString('base64url');
    // The IdP's claim, not yet committed: GraphQL reads the employee as LOCAL, checks the rule, and waits to write.
    const holder = h.dataSource.createQueryRunner();
    await holder.connect();
    let edit: Promise<{ body: any }> | undefined;
    try {
      await holder.startTransaction();
      await holder.query(`UPDATE employees SET managed_by = 'IDENTITY_PROVIDER', version = version + 1 WHERE tenant_id = $1 AND id = $2`, [
        acme.tenant.id,
        local.id,
      ]);
      edit = h.graphql(acme.tokens.admin, UPDATE, { input: { id: globalId, firstName: 'Mallory', displayName: 'Desk 7' } });
      await someoneWaitsForALock(holder, "GraphQL's write");
      await holder.commitTransaction();
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    const result = await edit!;
    // Read again after the lost race: now IdP-managed, so the first name is refused and nothing of the edit is applied.
    expect(result.body.data.updateEmployee.userErrors).toEqual([
      { code: 'IDP_MANAGED_FIELD', field: ['input', 'firstName'], message: expect.stringContaining('identity provider') },
    ]);
    const row = await h.employeeRow(acme.tenant.id, local.id);
    expect(row).toMatchObject({ firstName: 'Rae', managedBy: 'IDENTITY_PROVIDER', version: local.version + 1 });
    expect(row?.displayName ?? null).toBeNull();
  },
);
