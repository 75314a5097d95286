import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/** SCIM POST /Users and GET /Users/{id} as Okta and Entra send them, with the tenant's rules applied. */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('scim-users');
});
afterAll(async () => h?.close());

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';

async function setImportFields(fields: string[]): Promise<void> {
  await h.dataSource.query('UPDATE tenants SET scim_import_fields = $2 WHERE id = $1', [t.tenant.id, fields]);
}

async function employeeCount(): Promise<number> {
  const [row] = await h.dataSource.query('SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1', [t.tenant.id]);
  return row.n;
}

function expectScimError(result: { status: number; body: any; headers: Headers }, status: number, scimType?: string) {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  expect(result.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(result.body.status).toBe(String(status));
  expect(typeof result.body.detail).toBe('string');
  expect(result.body.detail.length).toBeGreaterThan(10);
  if (scimType) expect(result.body.scimType).toBe(scimType);
}

describe('POST /Users (Okta assign)', () => {
  test('201 with the full user, Location = meta.location, ETag, default role, no password echoed', async () => {
    const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('ada@example.com'));
    expect(result.status).toBe(201);
    expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const user = result.body;
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.headers.get('location')).toBe(user.meta.location);
    expect(user.meta.location).toBe(`${h.baseUrl}/scim/v2/Users/${user.id}`);
    expect(result.headers.get('etag')).toBe(user.meta.version);
    expect(user).toMatchObject({
      userName: 'ada@example.com',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
      name: { givenName: 'Ada', familyName: 'Tester' },
      emails: [{ value: 'ada@example.com', primary: true, type: 'work' }],
      meta: { resourceType: 'User' },
      [EXT]: { primaryRole: 'Agent', loginAuthenticator: 'Default' },
    });
    expect(result.text).not.toContain('1mz050nq');
    const row = await h.employeeRow(t.tenant.id, user.id);
    expect(row).toMatchObject({ managedBy: 'IDENTITY_PROVIDER', status: 'ACTIVE', externalId: '00ujl29u0le5T6Aj10h7' });
    // displayName is optional and the tenant has not enabled it: ignored.
    expect(row?.displayName).toBeNull();

    const get = await h.scim('GET', `/Users/${user.id}`, t.tokens.scim);
    expect(get.status).toBe(200);
    expect(get.body).toEqual(user);
  });

  test("Okta's own test posts application/json; Entra sends null for unassigned attributes", async () => {
    const result = await h.request('POST', '/scim/v2/Users', {
      token: t.tokens.scim,
      body: { ...oktaCreateUser('json@example.com'), displayName: null, timezone: null, externalId: null },
      headers: { 'Content-Type': 'application/json' },
    });
    expect(result.status).toBe(201);
    expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  });

  test('a userName differing only in case is a duplicate: 409 uniqueness, nothing created', async () => {
    await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('grace@example.com'));
    const count = await employeeCount();
    const dup = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('GRACE@Example.com'));
    expectScimError(dup, 409, 'uniqueness');
    expect(dup.body.detail).toContain('GRACE@Example.com');
    expect(await employeeCount()).toBe(count);
  });

  test('two racing creates of one username: one 201, one 409, never 500', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('race@example.com'))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  });

  test.each([
    ['a userName that is not an email', { userName: 'not-an-email' }, 'userName'],
    ['a missing given name', { name: { familyName: 'X' } }, 'name.givenName'],
    ['an empty family name', { name: { givenName: 'X', familyName: '' } }, 'name.familyName'],
    ['a NUL character', { userName: 'nul\u0000@example.com' }, 'NUL'],
    ['an email that is not an email', { emails: [{ value: 'nope', primary: true }] }, 'emails'],
  ])('%s: 400 invalidValue naming the attribute, nothing created', async (_label, override, attribute) => {
    const count = await employeeCount();
    const result = await h.scim('POST', '/Users', t.tokens.scim, { ...oktaCreateUser('bad@example.com'), ...override });
    expectScimError(result, 400, 'invalidValue');
    expect(result.body.detail).toContain(attribute);
    expect(await employeeCount()).toBe(count);
  });

  test('malformed JSON: 400 invalidSyntax; text/plain: 415', async () => {
    const malformed = await h.request('POST', '/scim/v2/Users', {
      token: t.tokens.scim,
      rawBody: '{"userName": "x@example.com",',
      headers: { 'Content-Type': 'application/scim+json' },
    });
    expectScimError(malformed, 400, 'invalidSyntax');
    const plain = await h.request('POST', '/scim/v2/Users', {
      token: t.tokens.scim,
      rawBody: 'userName=x',
      headers: { 'Content-Type': 'text/plain' },
    });
    expectScimError(plain, 415);
  });
});

describe('GET /Users/{id} answers', () => {
  test('with the headers IdPs read; a conditional GET of the version held is 304, of another 200; HEAD has no body', async () => {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('conditional@example.com'));
    const id = created.body.id as string;
    const got = await h.scim('GET', `/Users/${id}`, t.tokens.scim);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(Number(got.headers.get('content-length'))).toBe(Buffer.byteLength(got.text));
    expect(got.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    const etag = got.headers.get('etag')!;
    expect(etag).toBe('W/"1"');
    expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim, undefined, { 'If-None-Match': etag })).status).toBe(304);
    expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim, undefined, { 'If-None-Match': '"1"' })).status).toBe(304);
    const changed = await h.scim('GET', `/Users/${id}`, t.tokens.scim, undefined, { 'If-None-Match': 'W/"0", W/"7"' });
    expect(changed.status).toBe(200);
    expect(changed.body.id).toBe(id);
    const head = await h.request('HEAD', `/scim/v2/Users/${id}`, { token: t.tokens.scim });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    // Paths are matched case-insensitively, as before SCIM left Express.
    expect((await h.request('GET', `/SCIM/V2/Users/${id}`, { token: t.tokens.scim })).body.id).toBe(id);
  });
});

describe('tenant rules', () => {
  test('optional fields are imported only once the tenant enables them', async () => {
    const body = {
      ...oktaCreateUser('optional@example.com'),
      displayName: 'Opt Ional',
      timezone: 'Europe/Paris',
      userType: 'Contractor',
      phoneNumbers: [{ value: '+1 415 555 0100', type: 'mobile' }],
      name: { givenName: 'Opt', familyName: 'Ional', middleName: 'M' },
    };
    const off = await h.scim('POST', '/Users', t.tokens.scim, body);
    expect(off.status).toBe(201);
    expect(await h.employeeRow(t.tenant.id, off.body.id)).toMatchObject({
      displayName: null,
      timeZone: null,
      type: null,
      mobileNumber: null,
      middleName: null,
    });

    await setImportFields(['DISPLAY_NAME', 'TIME_ZONE', 'TYPE', 'MOBILE_NUMBER', 'MIDDLE_NAME']);
    try {
      const on = await h.scim('POST', '/Users', t.tokens.scim, { ...body, userName: 'optional2@example.com' });
      expect(on.status).toBe(201);
      expect(await h.employeeRow(t.tenant.id, on.body.id)).toMatchObject({
        displayName: 'Opt Ional',
        timeZone: 'Europe/Paris',
        type: 'Contractor',
        mobileNumber: '+1 415 555 0100',
        middleName: 'M',
      });
      // Kept as sent (test/idp-tolerance.test.ts covers the E.164 form derived alongside).
      expect(on.body).toMatchObject({ timezone: 'Europe/Paris', phoneNumbers: [{ value: '+1 415 555 0100', type: 'mobile' }] });

      // An unusable optional value is skipped, never a refusal of the person (issue 15).
      const badZone = await h.scim('POST', '/Users', t.tokens.scim, {
        ...body,
        userName: 'optional3@example.com',
        timezone: 'Mars/Olympus',
      });
      expect(badZone.status).toBe(201);
      expect(await h.employeeRow(t.tenant.id, badZone.body.id)).toMatchObject({ timeZone: null, displayName: 'Opt Ional' });
    } finally {
      await setImportFields([]);
    }
  });

  test('the primary role and team by name (case-insensitively) when enabled; an unknown name gives the default role', async () => {
    await h.dataSource.query(`INSERT INTO teams (tenant_id, name) VALUES ($1, 'Billing')`, [t.tenant.id]);
    await setImportFields(['PRIMARY_ROLE', 'TEAM']);
    try {
      const ok = await h.scim('POST', '/Users', t.tokens.scim, {
        ...oktaCreateUser('sup@example.com'),
        [EXT]: { primaryRole: 'supervisor', team: 'BILLING' },
      });
      expect(ok.status).toBe(201);
      expect(ok.body[EXT]).toMatchObject({ primaryRole: 'Supervisor', team: 'Billing' });

      const count = await employeeCount();
      const unknown = await h.scim('POST', '/Users', t.tokens.scim, {
        ...oktaCreateUser('unknown-role@example.com'),
        [EXT]: { primaryRole: 'Wizard' },
      });
      expect(unknown.status).toBe(201);
      expect(unknown.body[EXT]).toMatchObject({ primaryRole: 'Agent' });
      expect(await employeeCount()).toBe(count + 1);
    } finally {
      await setImportFields([]);
    }
  });

  test('an employee template applies its presets; explicit enabled fields win; an unknown template is skipped', async () => {
    const [team] = await h.dataSource.query(`INSERT INTO teams (tenant_id, name) VALUES ($1, 'Night shift') RETURNING id`, [
      t.tenant.id,
    ]);
    const [admin] = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Administrator'`, [
      t.tenant.id,
    ]);
    await h.dataSource.query(
      `INSERT INTO employee_templates (tenant_id, name, primary_role_id, team_id, time_zone, type)
       VALUES ($1, 'Night agent', $2, $3, 'America/Chicago', 'Employee')`,
      [t.tenant.id, admin.id, team.id],
    );
    const preset = await h.scim('POST', '/Users', t.tokens.scim, {
      ...oktaCreateUser('night@example.com'),
      timezone: 'Europe/Paris', // not imported: the template's zone stays
      [EXT]: { employeeTemplate: 'night AGENT' },
    });
    expect(preset.status).toBe(201);
    expect(await h.employeeRow(t.tenant.id, preset.body.id)).toMatchObject({
      primaryRoleId: admin.id,
      teamId: team.id,
      timeZone: 'America/Chicago',
      type: 'Employee',
    });

    await setImportFields(['TIME_ZONE']);
    try {
      const explicit = await h.scim('POST', '/Users', t.tokens.scim, {
        ...oktaCreateUser('night2@example.com'),
        timezone: 'Europe/Paris',
        [EXT]: { employeeTemplate: 'Night agent' },
      });
      expect((await h.employeeRow(t.tenant.id, explicit.body.id))?.timeZone).toBe('Europe/Paris');
    } finally {
      await setImportFields([]);
    }

    const unknown = await h.scim('POST', '/Users', t.tokens.scim, {
      ...oktaCreateUser('night3@example.com'),
      [EXT]: { employeeTemplate: 'Day agent' },
    });
    expect(unknown.status).toBe(201);
    expect(await h.employeeRow(t.tenant.id, unknown.body.id)).toMatchObject({ teamId: null, timeZone: null, type: null });
    expect(unknown.body[EXT]).toMatchObject({ primaryRole: 'Agent' });
  });

  test("the tenant's chosen default role applies; a missing default role refuses the create with an actionable detail", async () => {
    const [supervisor] = await h.dataSource.query(`SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Supervisor'`, [
      t.tenant.id,
    ]);
    await h.dataSource.query('UPDATE tenants SET default_role_id = $2 WHERE id = $1', [t.tenant.id, supervisor.id]);
    const chosen = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('default-sup@example.com'));
    expect(chosen.body[EXT].primaryRole).toBe('Supervisor');
    await h.dataSource.query('UPDATE tenants SET default_role_id = NULL WHERE id = $1', [t.tenant.id]);

    const other = await h.tenant('no-agent');
    await h.dataSource.query(`UPDATE roles SET name = 'Representative' WHERE tenant_id = $1 AND name = 'Agent'`, [
      other.tenant.id,
    ]);
    const refused = await h.scim('POST', '/Users', other.tokens.scim, oktaCreateUser('orphan@example.com'));
    expectScimError(refused, 400, 'invalidValue');
    expect(refused.body.detail).toContain('"Agent" does not exist');
    expect(refused.body.detail).toMatch(/create a role named "Agent"|choose another default role/);
    const [row] = await h.dataSource.query('SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1', [other.tenant.id]);
    expect(row.n).toBe(0);
  });
});

describe('errors Okta checks', () => {
  test('GET /Users/<any id, even a non-UUID>: 404 with a SCIM error body', async () => {
    for (const id of ['010101001010101', '6f2ed6ad-0bd5-4bc3-b5cd-7a7dbc7c2b02', "x' OR '1'='1"]) {
      expectScimError(await h.scim('GET', `/Users/${encodeURIComponent(id)}`, t.tokens.scim), 404);
    }
  });

  test('a bad or missing token: 401 with a SCIM error body and WWW-Authenticate', async () => {
    for (const token of ['rc_scim_not-a-real-token-at-all', 'garbage']) {
      const result = await h.scim('GET', '/Users/abc', token);
      expectScimError(result, 401);
      expect(result.headers.get('www-authenticate')).toContain('Bearer');
    }
    expectScimError(await h.request('GET', '/scim/v2/Users/abc'), 401);
    expectScimError(await h.request('GET', '/scim/v2/Users/abc', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), 401);
  });

  test("Okta's Basic auth mode: any username, the SCIM token as password", async () => {
    const basic = Buffer.from(`okta:${t.tokens.scim}`).toString('base64');
    const ok = await h.request('GET', '/scim/v2/Users?count=1', { headers: { Authorization: `Basic ${basic}` } });
    expect(ok.status).toBe(200);
    const wrong = Buffer.from('okta:rc_scim_wrong-wrong-wrong-wrong-wrong').toString('base64');
    expectScimError(await h.request('GET', '/scim/v2/Users?count=1', { headers: { Authorization: `Basic ${wrong}` } }), 401);
  });

  test('an unknown SCIM route: 404 with a SCIM error body', async () => {
    expectScimError(await h.scim('GET', '/Nope', t.tokens.scim), 404);
  });

  test('PUT with a stale If-Match: 412 and nothing changes', async () => {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('etag@example.com'));
    const stale = created.body.meta.version;
    const first = await h.scim('PUT', `/Users/${created.body.id}`, t.tokens.scim, {
      ...created.body,
      name: { givenName: 'First', familyName: 'Change' },
    }, { 'If-Match': stale });
    expect(first.status).toBe(200);
    expect(first.body.meta.version).not.toBe(stale);
    const before = await h.employeeRow(t.tenant.id, created.body.id);
    const second = await h.scim('PUT', `/Users/${created.body.id}`, t.tokens.scim, {
      ...created.body,
      name: { givenName: 'Lost', familyName: 'Update' },
    }, { 'If-Match': stale });
    expectScimError(second, 412);
    expect(await h.employeeRow(t.tenant.id, created.body.id)).toEqual(before);
  });
});
