import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { IdpFixture, idpFixtures } from './support/idp-fixtures';

/**
 * Real Okta and Entra traffic provisions people without a red flag: an optional value that cannot be used is skipped
 * and reported in the provisioning log (outcome WARNING), values are kept as sent, the tenant's username format is
 * obeyed on both surfaces, and time zones are IANA names in canonical spelling.
 */
let h: Harness;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const ALL_IMPORTS = ['DISPLAY_NAME', 'MIDDLE_NAME', 'MOBILE_NUMBER', 'TIME_ZONE', 'TYPE', 'LOGIN_AUTHENTICATOR', 'PRIMARY_ROLE', 'TEAM'];

const SETTINGS = /* GraphQL */ `
mutation Settings($input: UpdateTenantSettingsInput!) {
  updateTenantSettings(input: $input) {
    tenantSettings { usernameFormat defaultPhoneRegion scimImportFields }
    userErrors { code field message }
  }
}`;

const EVENTS = /* GraphQL */ `
query Events($outcome: ProvisioningOutcome, $employeeId: ID) {
  provisioningEvents(outcome: $outcome, employeeId: $employeeId, first: 50) {
    totalCount
    nodes { outcome method status userName warnings { attribute value reason } employee { id } }
  }
}`;

const EMPLOYEE = /* GraphQL */ `
query Employee($id: ID!) {
  employee(id: $id) { ... on Employee { id username mobileNumber mobileNumberE164 timeZone primaryRole { name } } }
}`;

const UPDATE = /* GraphQL */ `
mutation Update($input: UpdateEmployeeInput!) {
  updateEmployee(input: $input) {
    employee { id username mobileNumber mobileNumberE164 timeZone }
    userErrors { code field message }
  }
}`;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h?.close());

async function settings(t: TestTenant, input: Record<string, unknown>) {
  const result = await h.graphql(t.tokens.admin, SETTINGS, { input });
  expect(result.body.errors).toBeUndefined();
  expect(result.body.data.updateTenantSettings.userErrors).toEqual([]);
  return result.body.data.updateTenantSettings.tenantSettings;
}

/** A tenant set as the held-out IdP runs set theirs: any username, every optional import on. */
async function tolerantTenant(slug: string, extra: Record<string, unknown> = {}): Promise<TestTenant> {
  const t = await h.tenant(slug);
  await settings(t, { usernameFormat: 'ANY', scimImportFields: ALL_IMPORTS, ...extra });
  return t;
}

async function events(t: TestTenant, variables: Record<string, unknown> = {}) {
  await h.app.provisioningLog.flush();
  const result = await h.graphql(t.tokens.admin, EVENTS, variables);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.provisioningEvents as { totalCount: number; nodes: any[] };
}

async function employee(t: TestTenant, uuid: string) {
  const globalId = Buffer.from(`Employee:${uuid}`).toString('base64');
  const result = await h.graphql(t.tokens.admin, EMPLOYEE, { id: globalId });
  expect(result.body.errors).toBeUndefined();
  return result.body.data.employee;
}

const globalIdOf = (uuid: string) => Buffer.from(`Employee:${uuid}`).toString('base64');

function read(object: any, dotted: string): unknown {
  return dotted.split('.').reduce((value, key) => value?.[key], object);
}

function expectAnswer(body: unknown, wanted: { scim?: Record<string, unknown>; absent?: string[] }): void {
  for (const [attribute, value] of Object.entries(wanted.scim ?? {})) expect({ [attribute]: read(body, attribute) }).toEqual({ [attribute]: value });
  for (const attribute of wanted.absent ?? []) expect({ [attribute]: read(body, attribute) }).toEqual({ [attribute]: undefined });
}

/** Each IdP's requests in the order it sends them, as test/fixtures/idp holds them (see test/support/idp-fixtures.ts). */
describe.each(['okta', 'entra'])('replayed %s traffic (test/fixtures/idp)', (idp) => {
  let t: TestTenant;
  /** What the placeholders stand for: `id`, `user1`, `user2`, ..., `groupId`. */
  const ids: Record<string, string> = {};
  let users = 0;
  beforeAll(async () => {
    t = await tolerantTenant(`replay-${idp}`);
  });

  test.each(idpFixtures(idp).map((f) => [f.file, f] as const))('%s', async (_file, sent) => {
    const fixture: IdpFixture = JSON.parse(JSON.stringify(sent).replace(/\{(id|groupId|user\d+)\}/g, (text, name: string) => ids[name] ?? text));
    const { request, expect: wanted } = fixture;
    const before = (await events(t)).totalCount;
    const query = Object.entries(request.query ?? {}).map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
    const result = await h.scim(request.method, query ? `${request.path}?${query}` : request.path, t.tokens.scim, request.body, request.headers);
    expect({ status: result.status, detail: result.body?.detail }).toEqual({ status: wanted.status, detail: undefined });
    if (request.method === 'POST' && request.path === '/Users') ids.id = ids[`user${++users}`] = result.body.id;
    if (request.method === 'POST' && request.path === '/Groups') ids.groupId = result.body.id;

    // What is stored, read straight from the database.
    if (wanted.stored) expect(await h.employeeRow(t.tenant.id, ids.id)).toMatchObject(wanted.stored);
    expectAnswer(result.body, wanted);
    if (wanted.role !== undefined) expect(result.body[EXT].primaryRole).toBe(wanted.role);
    if (wanted.stored && 'mobileNumber' in wanted.stored && wanted.stored.mobileNumber !== null) {
      const mobile = result.body.phoneNumbers.find((p: { type: string }) => p.type === 'mobile');
      expect(mobile.value).toBe(wanted.stored.mobileNumber);
    }

    // Every skipped value is in the provisioning log, with the value as sent and a reason.
    if (wanted.warnings) {
      const log = await events(t);
      expect(log.totalCount).toBe(before + 1);
      const event = log.nodes[0];
      expect(event.outcome).toBe(wanted.warnings.length > 0 ? 'WARNING' : 'SUCCESS');
      expect(event.warnings.map((w: { attribute: string }) => w.attribute).sort()).toEqual([...wanted.warnings].sort());
      for (const warning of event.warnings) {
        expect(warning.value).not.toBe('');
        expect(warning.reason.length).toBeGreaterThan(20);
      }
    }

    if (wanted.read) {
      const after = await h.scim('GET', wanted.read.path, t.tokens.scim, undefined, request.headers);
      expect(after.status).toBe(wanted.read.status ?? 200);
      expectAnswer(after.body, wanted.read);
    }
  });
});

describe('optional values never fail a person', () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await tolerantTenant('optional-values');
  });

  test('a create with every optional value unusable is created with the defaults, and each value is reported', async () => {
    const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('all.bad@example.com', {
      displayName: 'x'.repeat(300),
      name: { givenName: 'All', familyName: 'Bad', middleName: 'Mid\u0007dle', formatted: 'All\u0001Bad' },
      phoneNumbers: [{ type: 'mobile', value: 'ask reception' }],
      timezone: 'Mars/Olympus_Mons',
      userType: 'Contractor\u001b',
      [EXT]: { primaryRole: 'Overlord', team: 'Nobody', loginAuthenticator: 'Retina', employeeTemplate: 'Missing' },
    }));
    expect({ status: result.status, detail: result.body.detail }).toEqual({ status: 201, detail: undefined });
    const row = await h.employeeRow(t.tenant.id, result.body.id);
    expect(row).toMatchObject({
      displayName: null, middleName: null, mobileNumber: null, timeZone: null, type: null, teamId: null, formattedName: null,
    });
    expect(result.body[EXT]).toEqual({ primaryRole: 'Agent', loginAuthenticator: 'Default' });

    const [event] = (await events(t, { outcome: 'WARNING' })).nodes;
    expect(event).toMatchObject({ outcome: 'WARNING', status: 201, userName: 'all.bad@example.com', employee: { id: globalIdOf(result.body.id) } });
    const byAttribute = Object.fromEntries(event.warnings.map((w: any) => [w.attribute, w]));
    expect(Object.keys(byAttribute).sort()).toEqual([
      'displayName',
      'name.formatted',
      'name.middleName',
      'phoneNumbers[type eq "mobile"].value',
      'timezone',
      `${EXT}:employeeTemplate`,
      `${EXT}:loginAuthenticator`,
      `${EXT}:primaryRole`,
      `${EXT}:team`,
      'userType',
    ].sort());
    expect(byAttribute[`${EXT}:primaryRole`]).toEqual({
      attribute: `${EXT}:primaryRole`,
      value: 'Overlord',
      reason: 'No role named "Overlord" exists in Rollcall. The default role was given.',
    });
    expect(byAttribute[`${EXT}:loginAuthenticator`].reason).toMatch(/default login authenticator was given/);
    expect(byAttribute.timezone).toMatchObject({ value: 'Mars/Olympus_Mons' });
    expect(byAttribute['phoneNumbers[type eq "mobile"].value'].value).toBe('ask reception');
  });

  test('an unknown role on an update keeps the role the employee has (never more than it had)', async () => {
    const supervisor = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Supervisor'`, [t.tenant.id]);
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('keeps.role@example.com', { [EXT]: { primaryRole: 'Supervisor' } }));
    expect(created.body[EXT].primaryRole).toBe('Supervisor');
    const patched = await h.scim('PATCH', `/Users/${created.body.id}`, t.tokens.scim, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: `${EXT}:primaryRole`, value: 'Administratorr' }, { op: 'replace', path: 'name.givenName', value: 'Kept' }],
    });
    expect(patched.status).toBe(200);
    expect(await h.employeeRow(t.tenant.id, created.body.id)).toMatchObject({ firstName: 'Kept', primaryRoleId: supervisor[0].id });
    const [event] = (await events(t, { outcome: 'WARNING', employeeId: globalIdOf(created.body.id) })).nodes;
    expect(event.warnings).toEqual([
      { attribute: `${EXT}:primaryRole`, value: 'Administratorr', reason: 'No role named "Administratorr" exists in Rollcall. The stored value was kept.' },
    ]);
  });

  test('a template preset stays when the IdP names an unknown role alongside it', async () => {
    const team = await h.graphql(t.tokens.admin, `mutation { createTeam(input: {name: "Tier 2"}) { team { id } userErrors { message } } }`);
    const teamId = team.body.data.createTeam.team.id;
    const template = await h.graphql(
      t.tokens.admin,
      `mutation($input: CreateEmployeeTemplateInput!) { createEmployeeTemplate(input: $input) { userErrors { message } } }`,
      { input: { name: 'Tier 2 agents', teamId, timeZone: 'europe/paris' } },
    );
    expect(template.body.errors).toBeUndefined();
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('templated@example.com', {
      [EXT]: { employeeTemplate: 'tier 2 AGENTS', team: 'No such team' },
    }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ timezone: 'Europe/Paris', [EXT]: { team: 'Tier 2' } });
  });

  test('required attributes and malformed requests still fail with a detail that says what to fix', async () => {
    const noGiven = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('no.given@example.com', { name: { familyName: 'X' } }));
    expect(noGiven.status).toBe(400);
    expect(noGiven.body.detail).toMatch(/name\.givenName/);
    const badEmail = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('bad.email@example.com', { emails: [{ value: 'not-an-email', type: 'work', primary: true }] }));
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.detail).toMatch(/^emails: email must be a valid email address/);
    const badJson = await h.request('POST', '/scim/v2/Users', { token: t.tokens.scim, rawBody: '{"userName":', headers: { 'Content-Type': 'application/scim+json' } });
    expect(badJson.status).toBe(400);
    expect((await events(t, { outcome: 'FAILURE' })).nodes[0]).toMatchObject({ outcome: 'FAILURE', warnings: [] });
  });

  test('an externalId that cannot be stored is skipped on create, PUT and PATCH alike, and the stored one kept', async () => {
    const bad = 'okta\u0007id';
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('ext@example.com', { externalId: bad }));
    expect(created.status).toBe(201);
    expect((await h.employeeRow(t.tenant.id, created.body.id))!.externalId).toBeNull();
    const id = created.body.id;
    await h.scim('PUT', `/Users/${id}`, t.tokens.scim, oktaCreateUser('ext@example.com', { externalId: '00uGOOD' }));
    const put = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, oktaCreateUser('ext@example.com', { externalId: bad, displayName: 'Put' }));
    const patch = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'externalId', value: 'x'.repeat(300) }],
    });
    expect([put.status, patch.status]).toEqual([200, 200]);
    expect(await h.employeeRow(t.tenant.id, id)).toMatchObject({ externalId: '00uGOOD', displayName: 'Put' });
    const warned = (await events(t, { outcome: 'WARNING', employeeId: globalIdOf(id) })).nodes;
    expect(warned.map((e) => e.warnings.map((w: { attribute: string }) => w.attribute))).toEqual([['externalId'], ['externalId'], ['externalId']]);
  });

  test('an import setting that is off still ignores the attribute without a warning', async () => {
    const plain = await h.tenant('optional-off');
    const result = await h.scim('POST', '/Users', plain.tokens.scim, oktaCreateUser('off@example.com', { timezone: 'PST' }));
    expect(result.status).toBe(201);
    const [event] = (await events(plain)).nodes;
    expect(event).toMatchObject({ outcome: 'SUCCESS', warnings: [] });
  });
});

describe('values kept as sent', () => {
  test('mobile numbers are stored and returned as sent; E.164 is derived with the tenant region', async () => {
    const t = await tolerantTenant('phones');
    const sent = ['312-320-1707', '(312) 320-1707', '+44 20 7946 0958', '55555555555', 'tel:+1-201-555-0123'];
    const ids: string[] = [];
    for (const [i, value] of sent.entries()) {
      const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`phone${i}@example.com`, { phoneNumbers: [{ type: 'mobile', value }] }));
      expect(result.status).toBe(201);
      expect(result.body.phoneNumbers).toEqual([{ value, type: 'mobile' }]);
      expect((await h.scim('GET', `/Users/${result.body.id}`, t.tokens.scim)).body.phoneNumbers[0].value).toBe(value);
      ids.push(result.body.id);
    }
    const e164 = async () => Promise.all(ids.map(async (id) => (await employee(t, id)).mobileNumberE164));
    expect(await e164()).toEqual([null, null, '+442079460958', null, '+12015550123']);
    await settings(t, { defaultPhoneRegion: 'us' });
    expect(await e164()).toEqual(['+13123201707', '+13123201707', '+442079460958', null, '+12015550123']);
    // The stored values did not change with the region.
    expect((await h.employeeRow(t.tenant.id, ids[0]))!.mobileNumber).toBe('312-320-1707');
  });

  test('name.formatted is stored as sent, and computed from the parts only when none was sent', async () => {
    const t = await tolerantTenant('formatted');
    const computed = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('ryan@example.com', { name: { givenName: 'Ryan', familyName: 'Leenay' } }));
    expect(computed.body.name.formatted).toBe('Ryan Leenay');
    const sent = await h.scim('PATCH', `/Users/${computed.body.id}`, t.tokens.scim, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'name.formatted', value: 'NewName' }],
    });
    expect(sent.status).toBe(200);
    expect(sent.body.name.formatted).toBe('NewName');
    expect((await h.scim('GET', `/Users/${computed.body.id}`, t.tokens.scim)).body.name.formatted).toBe('NewName');
    const filtered = await h.scim('GET', `/Users?filter=${encodeURIComponent('name.formatted eq "NewName"')}`, t.tokens.scim);
    expect(filtered.body.totalResults).toBe(1);
    // A PUT that sends none keeps it (attributes a PUT leaves out keep their value); an explicit null computes again.
    const put = await h.scim('PUT', `/Users/${computed.body.id}`, t.tokens.scim, oktaCreateUser('ryan@example.com', { name: { givenName: 'Ryan', familyName: 'Leenay' } }));
    expect(put.body.name.formatted).toBe('NewName');
    const cleared = await h.scim('PUT', `/Users/${computed.body.id}`, t.tokens.scim, oktaCreateUser('ryan@example.com', { name: { givenName: 'Ry', familyName: 'Leenay', formatted: null } }));
    expect(cleared.body.name.formatted).toBe('Ry Leenay');
  });

  test('GraphQL refuses numbers the library cannot read and accepts national numbers with the tenant region', async () => {
    const t = await tolerantTenant('graphql-phones');
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('gq@example.com'));
    const id = globalIdOf(created.body.id);
    const update = (mobileNumber: string) => h.graphql(t.tokens.admin, UPDATE, { input: { id, mobileNumber } });

    const national = await update('312-320-1707');
    expect(national.body.data.updateEmployee.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'mobileNumber'], message: expect.stringMatching(/country code|default phone region/) }),
    ]);
    expect((await h.employeeRow(t.tenant.id, created.body.id))!.mobileNumber).toBeNull();
    const words = await update('call me');
    expect(words.body.data.updateEmployee.userErrors[0].code).toBe('INVALID_VALUE');

    const international = await update('+1 312 320 1707');
    expect(international.body.data.updateEmployee).toMatchObject({ userErrors: [], employee: { mobileNumber: '+1 312 320 1707', mobileNumberE164: '+13123201707' } });
    await settings(t, { defaultPhoneRegion: 'US' });
    const accepted = await update('(312) 320-1707');
    expect(accepted.body.data.updateEmployee).toMatchObject({ userErrors: [], employee: { mobileNumber: '(312) 320-1707', mobileNumberE164: '+13123201707' } });
    const bad = await h.graphql(t.tokens.admin, SETTINGS, { input: { defaultPhoneRegion: 'XX' } });
    expect(bad.body.data.updateTenantSettings.userErrors[0]).toMatchObject({ code: 'INVALID_VALUE', field: ['input', 'defaultPhoneRegion'] });
  });
});

describe('time zones', () => {
  test('IANA names in any case are stored in canonical spelling; abbreviations are a warning over SCIM', async () => {
    const t = await tolerantTenant('zones');
    const cases: [string, string | null][] = [
      ['america/new_york', 'America/New_York'],
      ['EUROPE/PARIS', 'Europe/Paris'],
      ['UTC', 'UTC'],
      ['US/Pacific', 'US/Pacific'],
      ['PST', null],
      ['EST', null],
      ['CET', null],
      ['+01:00', null],
    ];
    for (const [i, [sent, stored]] of cases.entries()) {
      const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`zone${i}@example.com`, { timezone: sent }));
      expect({ sent, status: result.status }).toEqual({ sent, status: 201 });
      expect({ sent, stored: (await h.employeeRow(t.tenant.id, result.body.id))!.timeZone }).toEqual({ sent, stored });
    }
    const warnings = (await events(t, { outcome: 'WARNING' })).nodes.flatMap((e) => e.warnings);
    expect(warnings.map((w) => w.value).sort()).toEqual(['+01:00', 'CET', 'EST', 'PST']);
    expect(warnings.find((w) => w.value === 'PST').reason).toMatch(/abbreviation, not a time zone/);
  });

  test('GraphQL stores the canonical spelling and refuses abbreviations with a userError', async () => {
    const t = await tolerantTenant('zones-graphql');
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('tz@example.com', { timezone: 'Asia/Tokyo' }));
    const id = globalIdOf(created.body.id);
    const ok = await h.graphql(t.tokens.admin, UPDATE, { input: { id, timeZone: 'america/los_angeles' } });
    expect(ok.body.data.updateEmployee).toMatchObject({ userErrors: [], employee: { timeZone: 'America/Los_Angeles' } });
    const refused = await h.graphql(t.tokens.admin, UPDATE, { input: { id, timeZone: 'PST' } });
    expect(refused.body.data.updateEmployee.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'timeZone'], message: expect.stringMatching(/abbreviation/) }),
    ]);
    expect((await h.employeeRow(t.tenant.id, created.body.id))!.timeZone).toBe('America/Los_Angeles');
  });
});

describe('username format', () => {
  test('EMAIL by default; ANY takes IdP ids on both surfaces; a change never invalidates stored usernames', async () => {
    const t = await h.tenant('username-format');
    const read = await h.graphql(t.tokens.admin, `{ tenantSettings { usernameFormat defaultPhoneRegion } }`);
    expect(read.body.data.tenantSettings).toEqual({ usernameFormat: 'EMAIL', defaultPhoneRegion: null });

    const refused = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('emp1', { emails: [{ value: 'emp1@example.com', type: 'work', primary: true }] }));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringMatching(/^userName: .*valid email address.*usernameFormat|username format/) });
    expect(await h.dataSource.query('SELECT 1 FROM employees WHERE tenant_id = $1', [t.tenant.id])).toHaveLength(0);

    expect(await settings(t, { usernameFormat: 'ANY' })).toMatchObject({ usernameFormat: 'ANY' });
    const names = ['emp1', 'OMalley', 'UserName123', '00u1f96ECLNVOKVMUSEA', '  padded  '];
    const ids: string[] = [];
    for (const userName of names) {
      const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('x@example.com', { userName }));
      expect({ userName, status: result.status }).toEqual({ userName, status: 201 });
      expect(result.body.userName).toBe(userName.trim());
      ids.push(result.body.id);
    }
    // Looked up the way Okta does, in another case.
    const lookup = await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "OMALLEY"')}&startIndex=1&count=100`, t.tokens.scim);
    expect(lookup.body.totalResults).toBe(1);
    for (const bad of ['tab\there', 'x'.repeat(257), '   ']) {
      const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('y@example.com', { userName: bad }));
      expect({ bad, status: result.status }).toEqual({ bad, status: 400 });
    }
    // GraphQL obeys the same rule.
    const renamed = await h.graphql(t.tokens.admin, UPDATE, { input: { id: globalIdOf(ids[0]), mobileNumber: null } });
    expect(renamed.body.data.updateEmployee.userErrors).toEqual([]);

    // Back to EMAIL: stored usernames stay, Okta's PUT that sends one back unchanged still works, new ones are refused.
    await settings(t, { usernameFormat: 'EMAIL' });
    const put = await h.scim('PUT', `/Users/${ids[0]}`, t.tokens.scim, oktaCreateUser('x@example.com', { userName: 'emp1', name: { givenName: 'Emp', familyName: 'One' } }));
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ userName: 'emp1', name: { givenName: 'Emp' } });
    const rename = await h.scim('PATCH', `/Users/${ids[0]}`, t.tokens.scim, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'emp2' }] });
    expect(rename.status).toBe(400);
    expect((await h.scim('GET', `/Users/${ids[1]}`, t.tokens.scim)).body.userName).toBe('OMalley');
  });

  test('a local employee created in Rollcall follows the format too (GraphQL updateEmployee of the username)', async () => {
    const t = await h.tenant('username-graphql');
    const { employeeService } = await import('../src/services/employee.service');
    const local = await employeeService.createLocal({ ...t.ctx, actor: { surface: 'graphql', tokenId: null } }, {
      username: 'local@example.com', firstName: 'Lo', lastName: 'Cal', email: 'local@example.com',
    });
    const id = globalIdOf(local.id);
    const refused = await h.graphql(t.tokens.admin, UPDATE, { input: { id, username: 'agent-7' } });
    expect(refused.body.data.updateEmployee.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'username'] })]);
    await settings(t, { usernameFormat: 'ANY' });
    const accepted = await h.graphql(t.tokens.admin, UPDATE, { input: { id, username: 'agent-7' } });
    expect(accepted.body.data.updateEmployee).toMatchObject({ userErrors: [], employee: { username: 'agent-7' } });
  });
});
