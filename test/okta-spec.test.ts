import { Harness, TestTenant } from './support/harness';
import { idpRequestBody } from './support/idp-fixtures';

/**
 * Okta's published SCIM 2.0 SPEC test, replayed step by step with the requests and headers Okta sends
 * (User-Agent "Okta SCIM Client 1.0.0"; the test POSTs application/json). Each step asserts what Okta checks.
 * The optional Groups step belongs to the SCIM Groups issue and is not replayed here.
 */
let h: Harness;
let t: TestTenant;
const OKTA_HEADERS = { 'User-Agent': 'Okta SCIM Client 1.0.0', Accept: 'application/scim+json' };
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const randomUser = `okta.spec.${Date.now()}@atko.example`;
const state: { id?: string } = {};
/** Okta's create body (test/fixtures/idp/okta/05-create-user.json) for the random user. */
const OKTA_CREATE = idpRequestBody('okta', '05-create-user');
const createRandomUser = { ...OKTA_CREATE, userName: randomUser, emails: [{ ...OKTA_CREATE.emails[0], value: randomUser }] };

function okta(method: string, path: string, body?: unknown, token = t.tokens.scim) {
  return h.request(method, `/scim/v2${path}`, {
    token,
    body,
    headers: { ...OKTA_HEADERS, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
  });
}

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('okta-spec');
  // Okta's first step reads an existing user, so the app must already have one.
  await okta('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'existing.user@atko.example',
    name: { givenName: 'Existing', familyName: 'User' },
    emails: [{ primary: true, value: 'existing.user@atko.example', type: 'work' }],
    active: true,
  });
});
afterAll(async () => h?.close());

describe("Okta SCIM 2.0 SPEC test", () => {
  let firstUserId: string;

  test('1. Test Users endpoint: GET /Users?count=1&startIndex=1', async () => {
    const result = await okta('GET', '/Users?count=1&startIndex=1');
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/application\/scim\+json/);
    expect(result.body.schemas).toEqual([LIST_SCHEMA]);
    expect(Array.isArray(result.body.Resources)).toBe(true);
    for (const key of ['itemsPerPage', 'startIndex', 'totalResults']) expect(Number.isInteger(result.body[key])).toBe(true);
    expect(result.body.Resources[0].id).toBeDefined();
    firstUserId = result.body.Resources[0].id;
  });

  test('2. Get Users/{{id}}', async () => {
    const result = await okta('GET', `/Users/${firstUserId}`);
    expect(result.status).toBe(200);
    expect(result.body.id).toBe(firstUserId);
    expect(result.body.userName).toBeDefined();
    expect(result.body.name).toBeDefined();
    expect(Array.isArray(result.body.emails)).toBe(true);
  });

  test('3. Test invalid User by username', async () => {
    const result = await okta('GET', `/Users?filter=${encodeURIComponent('userName eq "invalid-user-name@atko.example"')}`);
    expect(result.status).toBe(200);
    expect(result.body.schemas).toEqual([LIST_SCHEMA]);
    expect(result.body.totalResults).toBe(0);
  });

  test('4. Test invalid User by ID', async () => {
    const result = await okta('GET', '/Users/010101001010101');
    expect(result.status).toBe(404);
    expect(result.body.schemas).toEqual([ERROR_SCHEMA]);
    expect(result.body.status).toBe('404');
    expect(result.body.detail).toBeTruthy();
  });

  test("5. Make sure random user doesn't exist", async () => {
    const result = await okta('GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUser}"`)}&startIndex=1&count=100`);
    expect(result.status).toBe(200);
    expect(result.body.totalResults).toBe(0);
    expect(result.body.Resources).toEqual([]);
  });

  test('6. Create Okta user with realistic values', async () => {
    const result = await okta('POST', '/Users', createRandomUser);
    expect(result.status).toBe(201);
    expect(result.body.userName).toBe(randomUser);
    expect(result.body.active).toBe(true);
    expect(result.body.name).toMatchObject({ givenName: 'Spec', familyName: 'Tester' });
    expect(result.body.emails[0].value).toBe(randomUser);
    expect(result.body.id).toBeDefined();
    expect(result.body.password).toBeUndefined();
    state.id = result.body.id;
  });

  test('7. Verify Okta user is now created', async () => {
    const result = await okta('GET', `/Users/${state.id}`);
    expect(result.status).toBe(200);
    expect(result.body.userName).toBe(randomUser);
  });

  test('8. Expect failure when recreating user with same values', async () => {
    const result = await okta('POST', '/Users', createRandomUser);
    expect(result.status).toBe(409);
    expect(result.body.schemas).toEqual([ERROR_SCHEMA]);
    expect(result.body.status).toBe('409');
  });

  test('9. Username case sensitivity check', async () => {
    const result = await okta('GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUser.toUpperCase()}"`)}`);
    expect(result.status).toBe(200);
    expect(result.body.totalResults).toBe(1);
    expect(result.body.Resources[0].id).toBe(state.id);
  });

  test('10. Deactivate the user (PATCH active=false)', async () => {
    const result = await okta('PATCH', `/Users/${state.id}`, idpRequestBody('okta', '08-patch-deactivate'));
    expect(result.status).toBe(200);
    expect(result.body.active).toBe(false);
    expect((await okta('GET', `/Users/${state.id}`)).body.active).toBe(false);
  });

  test('11. Profile update: GET then PUT of the whole object with a change (echoing id, meta, groups)', async () => {
    const current = await okta('GET', `/Users/${state.id}`);
    const result = await okta('PUT', `/Users/${state.id}`, {
      ...current.body,
      groups: [],
      password: 'ignored',
      active: true,
      name: { ...current.body.name, familyName: 'Updated' },
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: state.id, active: true, name: { familyName: 'Updated' } });
  });

  test('12. Check status 401 with a bad token', async () => {
    const result = await okta('GET', '/Users?count=1&startIndex=1', undefined, 'rc_scim_invalid0000000000000000000000000000');
    expect(result.status).toBe(401);
    expect(result.body.schemas).toEqual([ERROR_SCHEMA]);
    expect(result.body.status).toBe('401');
    expect(result.body.detail).toBeTruthy();
  });
});
