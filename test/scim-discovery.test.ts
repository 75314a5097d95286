import {
  CORE_GROUP_SCHEMA,
  CORE_USER_SCHEMA,
  CORE_USER_SCHEMA_URN,
  ROLLCALL_USER_EXTENSION,
  ROLLCALL_USER_EXTENSION_URN,
  findUserAttribute,
} from '../src/scim/schema-definitions';
import { ROLLCALL_USER_SCHEMA, USER_SCHEMA } from '../src/scim/user-mapping';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';

/** SCIM discovery as Entra (gallery apps) and Okta read it: /ServiceProviderConfig, /ResourceTypes, /Schemas. */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('scim-discovery');
});
afterAll(async () => h?.close());

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

function scimBase(): string {
  return `${h.baseUrl}/scim/v2`;
}

function expectScimJson(result: HttpResult, status: number) {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
}

function expectScimError(result: HttpResult, status: number) {
  expectScimJson(result, status);
  expect(result.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(result.body.status).toBe(String(status));
  expect(typeof result.body.detail).toBe('string');
  expect(result.body.detail.length).toBeGreaterThan(10);
}

async function schema(urn: string): Promise<any> {
  const result = await h.scim('GET', `/Schemas/${urn}`, t.tokens.scim);
  expectScimJson(result, 200);
  return result.body;
}

function attributeIn(attributes: any[], name: string): any {
  const found = attributes.find((a) => a.name === name);
  if (!found) throw new Error(`attribute ${name} is not described`);
  return found;
}

describe('GET /ServiceProviderConfig', () => {
  test('advertises exactly what Rollcall supports', async () => {
    const result = await h.scim('GET', '/ServiceProviderConfig', t.tokens.scim);
    expectScimJson(result, 200);
    expect(result.body).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: expect.any(String),
          description: expect.stringContaining('Bearer'),
          specUri: expect.stringContaining('rfc6750'),
          primary: true,
        },
      ],
      meta: { resourceType: 'ServiceProviderConfig', location: `${scimBase()}/ServiceProviderConfig` },
    });
  });
});

describe('GET /ResourceTypes', () => {
  const userType = () => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'User',
    name: 'User',
    description: expect.any(String),
    endpoint: '/Users',
    schema: CORE,
    schemaExtensions: [{ schema: EXT, required: false }],
    meta: { resourceType: 'ResourceType', location: `${scimBase()}/ResourceTypes/User` },
  });

  const groupType = () => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'Group',
    name: 'Group',
    description: expect.any(String),
    endpoint: '/Groups',
    schema: GROUP,
    meta: { resourceType: 'ResourceType', location: `${scimBase()}/ResourceTypes/Group` },
  });

  test('a ListResponse with the User and Group resource types', async () => {
    const result = await h.scim('GET', '/ResourceTypes', t.tokens.scim);
    expectScimJson(result, 200);
    expect(result.body).toEqual({
      schemas: [LIST_SCHEMA],
      totalResults: 2,
      startIndex: 1,
      itemsPerPage: 2,
      Resources: [userType(), groupType()],
    });
  });

  test('/ResourceTypes/User and /ResourceTypes/Group alone; an unknown type is a 404', async () => {
    const result = await h.scim('GET', '/ResourceTypes/User', t.tokens.scim);
    expectScimJson(result, 200);
    expect(result.body).toEqual(userType());
    const group = await h.scim('GET', '/ResourceTypes/group', t.tokens.scim);
    expectScimJson(group, 200);
    expect(group.body).toEqual(groupType());
    expectScimError(await h.scim('GET', '/ResourceTypes/Printer', t.tokens.scim), 404);
  });
});

describe('GET /Schemas', () => {
  test('a ListResponse of the core User schema, the Rollcall extension and the Group schema, each also at /Schemas/{urn}', async () => {
    const result = await h.scim('GET', '/Schemas', t.tokens.scim);
    expectScimJson(result, 200);
    expect(result.body).toMatchObject({ schemas: [LIST_SCHEMA], totalResults: 3, startIndex: 1, itemsPerPage: 3 });
    expect(result.body.Resources.map((s: any) => s.id)).toEqual([CORE, EXT, GROUP]);
    for (const resource of result.body.Resources) {
      expect(resource).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
        id: resource.id,
        name: expect.any(String),
        description: expect.any(String),
        attributes: expect.any(Array),
        meta: { resourceType: 'Schema', location: `${scimBase()}/Schemas/${resource.id}` },
      });
      expect(await schema(resource.id)).toEqual(resource);
    }
    // Served straight from schema-definitions.ts.
    expect(result.body.Resources[0].attributes).toEqual(JSON.parse(JSON.stringify(CORE_USER_SCHEMA.attributes)));
    expect(result.body.Resources[1].attributes).toEqual(JSON.parse(JSON.stringify(ROLLCALL_USER_EXTENSION.attributes)));
    expect(result.body.Resources[2].attributes).toEqual(JSON.parse(JSON.stringify(CORE_GROUP_SCHEMA.attributes)));
    // The core schemas are described in RFC 7643 section 8.7.1's words.
    expect(result.body.Resources[0]).toMatchObject({ name: 'User', description: 'User Account' });
    expect(result.body.Resources[2]).toMatchObject({ name: 'Group', description: 'Group' });
  });

  test('every attribute states every characteristic; multi-valued and complex ones are consistent', async () => {
    const check = (a: any) => {
      expect(a).toMatchObject({
        name: expect.any(String),
        type: expect.stringMatching(/^(string|boolean|decimal|integer|dateTime|reference|binary|complex)$/),
        multiValued: expect.any(Boolean),
        description: expect.any(String),
        required: expect.any(Boolean),
        caseExact: expect.any(Boolean),
        mutability: expect.stringMatching(/^(readOnly|readWrite|immutable|writeOnly)$/),
        returned: expect.stringMatching(/^(always|never|default|request)$/),
        uniqueness: expect.stringMatching(/^(none|server|global)$/),
      });
      expect(a.type === 'complex').toBe(Array.isArray(a.subAttributes));
      if (a.type === 'reference') expect(a.referenceTypes.length).toBeGreaterThan(0);
    };
    for (const urn of [CORE, EXT, GROUP]) {
      for (const a of (await schema(urn)).attributes) {
        check(a);
        for (const sub of a.subAttributes ?? []) {
          check(sub);
          expect(sub.type).not.toBe('complex');
        }
      }
    }
  });

  test('describes exactly the attributes a user comes back with', async () => {
    await h.dataSource.query(`INSERT INTO teams (tenant_id, name) VALUES ($1, 'Billing')`, [t.tenant.id]);
    await h.dataSource.query('UPDATE tenants SET scim_import_fields = $2 WHERE id = $1', [
      t.tenant.id,
      ['DISPLAY_NAME', 'MIDDLE_NAME', 'MOBILE_NUMBER', 'TIME_ZONE', 'TYPE', 'PRIMARY_ROLE', 'TEAM'],
    ]);
    // Every attribute Rollcall keeps, set, so that every one of them is returned.
    const created = await h.scim('POST', '/Users', t.tokens.scim, {
      ...oktaCreateUser('full@example.com'),
      name: { givenName: 'Full', familyName: 'Profile', middleName: 'M' },
      phoneNumbers: [{ value: '+1 415 555 0100', type: 'mobile' }],
      timezone: 'Europe/Paris',
      userType: 'Employee',
      [EXT]: { primaryRole: 'supervisor', team: 'billing' },
    });
    expectScimJson(created, 201);
    const user = created.body;

    const core = (await schema(CORE)).attributes;
    const ext = (await schema(EXT)).attributes;
    const returned = Object.keys(user).filter((key) => key !== 'schemas' && key !== EXT);
    expect(Object.keys(user)).toContain(EXT);
    // groups (readOnly) is returned only for a user in a group; nothing else is described without being returned.
    expect(core.map((a: any) => a.name).sort()).toEqual([...returned, 'groups'].sort());
    expect(ext.map((a: any) => a.name).sort()).toEqual([...Object.keys(user[EXT]), 'employeeTemplate'].sort());

    for (const a of core) {
      if (a.name === 'groups') continue;
      const value = user[a.name];
      expect(Array.isArray(value)).toBe(a.multiValued);
      if (a.type !== 'complex') continue;
      const elements = a.multiValued ? value : [value];
      for (const element of elements) {
        const described = a.subAttributes.map((s: any) => s.name);
        expect(described).toEqual(expect.arrayContaining(Object.keys(element)));
        expect(Object.keys(element).sort()).toEqual(described.sort());
      }
    }
    // What is never returned is not returned.
    for (const a of ext.filter((x: any) => x.returned === 'never')) expect(user[EXT]).not.toHaveProperty(a.name);
  });

  test('id and meta are readOnly; userName is required, caseExact false, unique per server; employeeTemplate never returned', async () => {
    const core = (await schema(CORE)).attributes;
    expect(attributeIn(core, 'id')).toMatchObject({ mutability: 'readOnly', returned: 'always', uniqueness: 'server' });
    const meta = attributeIn(core, 'meta');
    expect(meta.mutability).toBe('readOnly');
    for (const sub of meta.subAttributes) expect(sub.mutability).toBe('readOnly');
    expect(attributeIn(core, 'userName')).toMatchObject({
      type: 'string',
      required: true,
      caseExact: false,
      uniqueness: 'server',
      mutability: 'readWrite',
    });
    expect(attributeIn(core, 'groups')).toMatchObject({ mutability: 'readOnly', multiValued: true });
    // Kept as sent (Microsoft checks it), so it is writable.
    expect(attributeIn(attributeIn(core, 'name').subAttributes, 'formatted').mutability).toBe('readWrite');
    expect(attributeIn(core, 'emails').multiValued).toBe(true);
    expect(attributeIn(core, 'active').type).toBe('boolean');

    const ext = (await schema(EXT)).attributes;
    for (const name of ['primaryRole', 'team', 'loginAuthenticator']) {
      expect(attributeIn(ext, name)).toMatchObject({ type: 'string', caseExact: false, mutability: 'readWrite' });
    }
    expect(attributeIn(ext, 'employeeTemplate')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
  });

  test('a schema URN is found whatever its case; an unknown one is a 404 SCIM error', async () => {
    expect((await schema(CORE.toLowerCase())).id).toBe(CORE);
    expect((await schema(GROUP.toUpperCase())).id).toBe(GROUP);
    for (const urn of ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'nope']) {
      expectScimError(await h.scim('GET', `/Schemas/${urn}`, t.tokens.scim), 404);
    }
  });
});

describe('discovery is read-only and authenticated', () => {
  const paths = [
    '/ServiceProviderConfig',
    '/ResourceTypes',
    '/ResourceTypes/User',
    '/ResourceTypes/Group',
    '/Schemas',
    `/Schemas/${GROUP}`,
    `/Schemas/${CORE}`,
  ];

  test.each(paths)('POST, PUT, PATCH, DELETE %s: 405 with Allow: GET and a SCIM error body', async (path) => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const result = await h.scim(method, path, t.tokens.scim, method === 'DELETE' ? undefined : { schemas: [CORE] });
      expectScimError(result, 405);
      expect(result.body.status).toBe('405');
      expect(result.headers.get('allow')).toBe('GET');
    }
  });

  test.each(paths)('GET %s without a valid token: 401', async (path) => {
    const missing = await h.request('GET', `/scim/v2${path}`);
    expectScimError(missing, 401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expectScimError(await h.scim('GET', path, 'rc_scim_not-a-real-token-at-all'), 401);
  });

  test('a token of another scope: 403', async () => {
    expectScimError(await h.scim('GET', '/Schemas', t.tokens.read), 403);
  });
});

describe('findUserAttribute', () => {
  test('the URNs are the ones user-mapping.ts writes', () => {
    expect(CORE_USER_SCHEMA_URN).toBe(USER_SCHEMA);
    expect(ROLLCALL_USER_EXTENSION_URN).toBe(ROLLCALL_USER_SCHEMA);
  });

  test.each([
    ['userName', CORE, 'userName', false],
    ['USERNAME', CORE, 'userName', false],
    ['id', CORE, 'id', true],
    ['meta.lastModified', CORE, 'meta.lastModified', true],
    ['name.givenName', CORE, 'name.givenName', false],
    ['Name.GivenName', CORE, 'name.givenName', false],
    ['name.formatted', CORE, 'name.formatted', false],
    [`${CORE}:name.familyName`, CORE, 'name.familyName', false],
    [`${CORE.toUpperCase()}:Active`, CORE, 'active', false],
    ['emails[type eq "work"].value', CORE, 'emails.value', false],
    ['emails[value eq "a]b\\"c"].primary', CORE, 'emails.primary', false],
    ['phoneNumbers[type eq "mobile"]', CORE, 'phoneNumbers', false],
    ['groups.$ref', CORE, 'groups.$ref', true],
    [`${EXT}:primaryRole`, EXT, `${EXT}:primaryRole`, false],
    [`${EXT.toLowerCase()}:TEAM`, EXT, `${EXT}:team`, false],
    [`${EXT}:employeeTemplate`, EXT, `${EXT}:employeeTemplate`, false],
  ])('%s resolves to %s %s (readOnly %s)', (path, urn, canonical, readOnly) => {
    const resolved = findUserAttribute(path);
    expect(resolved).toMatchObject({ schema: urn, path: canonical, readOnly });
  });

  test('sub-attributes carry their parent; writeOnly ones are never returned', () => {
    const given = findUserAttribute('name.givenName');
    expect(given?.parent?.name).toBe('name');
    expect(given?.attribute).toMatchObject({ name: 'givenName', required: true });
    expect(findUserAttribute(`${EXT}:employeeTemplate`)?.neverReturned).toBe(true);
    expect(findUserAttribute('userName')?.neverReturned).toBe(false);
    expect(findUserAttribute('userName')?.attribute).toMatchObject({ caseExact: false, uniqueness: 'server' });
  });

  test.each([
    'locale',
    'password',
    'primaryRole', // extension attributes need their URN
    'name.nickName',
    'name.givenName.x',
    'userName.value',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
    EXT,
    CORE,
    `${EXT}:nope`,
    '__proto__',
    'constructor',
    'emails[type eq "work"',
    'emails[type eq "work"]value',
    'name.givenName[value eq "x"]',
    '',
  ])('%s does not resolve', (path) => {
    expect(findUserAttribute(path)).toBeUndefined();
  });
});
