import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * One rule for every stored text (src/services/validation.ts textProblem): names hold no line breaks or other control
 * characters, whichever entity they belong to; a lone UTF-16 surrogate is refused instead of being stored as U+FFFD;
 * length is counted in characters the way a person counts them.
 */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('text-rule');
});
afterAll(async () => h?.close());

const UPDATE = `mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { firstName displayName } userErrors { code field message } } }`;
const CREATE_ROLE = `mutation($input: CreateRoleInput!) { createRole(input: $input) { role { name } userErrors { code field message } } }`;

test('an employee name may not hold a line break, as a role name may not (it could before)', async () => {
  const sent = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('lines@example.com', { name: { givenName: 'Two\nlines', familyName: 'Tester' } }));
  expect(sent.status).toBe(400);
  expect(sent.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining('name.givenName: firstName contains control characters') });
  expect(await h.dataSource.query('SELECT 1 FROM employees WHERE username = $1', ['lines@example.com'])).toHaveLength(0);

  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('one-line@example.com'));
  const id = Buffer.from(`Employee:${created.body.id}`).toString('base64');
  const edit = await h.graphql(t.tokens.admin, UPDATE, { input: { id, displayName: 'Tab\there' } });
  expect(edit.body.data.updateEmployee.userErrors).toEqual([
    { code: 'INVALID_VALUE', field: ['input', 'displayName'], message: 'displayName contains control characters, which Rollcall does not store.' },
  ]);
  const role = await h.graphql(t.tokens.admin, CREATE_ROLE, { input: { name: 'Two\nlines' } });
  expect(role.body.data.createRole.userErrors[0]).toMatchObject({ code: 'INVALID_VALUE', field: ['input', 'name'] });
});

test('a lone surrogate is refused everywhere text is stored, instead of being stored as U+FFFD', async () => {
  const broken = 'Bro\ud800ken';
  // JSON carries it as an escape; JSON.stringify writes it as \ud800.
  const sent = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('surrogate@example.com', { name: { givenName: broken, familyName: 'X' } }));
  expect(sent.status).toBe(400);
  expect(sent.body.detail).toContain('unpaired UTF-16 surrogate');
  const role = await h.graphql(t.tokens.admin, CREATE_ROLE, { input: { name: broken } });
  expect(role.body.data.createRole).toMatchObject({ role: null, userErrors: [{ code: 'INVALID_VALUE', field: ['input', 'name'] }] });
  const group = await h.scim('POST', '/Groups', t.tokens.scim, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: broken });
  expect(group.status).toBe(400);
  expect(await h.dataSource.query(`SELECT 1 FROM roles WHERE tenant_id = $1 AND name LIKE 'Bro%'`, [t.tenant.id])).toHaveLength(0);
});

test('length is counted in characters: 256 emoji are a valid name, 257 are not', async () => {
  const emoji = (n: number) => '\u{1F600}'.repeat(n);
  const ok = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('emoji@example.com', { name: { givenName: emoji(256), familyName: 'X' } }));
  expect(ok.status).toBe(201);
  expect((await h.employeeRow(t.tenant.id, ok.body.id))!.firstName).toBe(emoji(256));
  const long = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('emoji2@example.com', { name: { givenName: emoji(257), familyName: 'X' } }));
  expect(long.status).toBe(400);
  expect(long.body.detail).toContain('longer than 256 characters');
});
