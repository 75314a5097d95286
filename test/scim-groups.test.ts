import { CORE_GROUP_SCHEMA_URN } from '../src/scim/schema-definitions';
import { GROUP_SCHEMA } from '../src/scim/group-mapping';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';

/**
 * SCIM /Groups as Okta (Group Push) and Entra ID send them. Every membership assertion reads group_members straight
 * from the database.
 */
let h: Harness;
let t: TestTenant;
let other: TestTenant;
/** Users of tenant t, created over SCIM: u[0] .. u[7]. */
const u: string[] = [];
let foreignUser: string;

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const ENTRA_GROUP_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('groups');
  other = await h.tenant('groups-other');
  for (let i = 0; i < 8; i++) {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`member${i}@groups.test`));
    expect(created.status).toBe(201);
    u.push(created.body.id);
  }
  const foreign = await h.scim('POST', '/Users', other.tokens.scim, oktaCreateUser('foreign@groups.test'));
  foreignUser = foreign.body.id;
});
afterAll(async () => h?.close());

function scimBase(): string {
  return `${h.baseUrl}/scim/v2`;
}

function filter(expression: string): string {
  return encodeURIComponent(expression);
}

function sorted(ids: readonly string[]): string[] {
  return [...ids].sort();
}

/** The group's members as stored, sorted. */
async function members(groupId: string, tenantId = t.tenant.id): Promise<string[]> {
  const rows: { employee_id: string }[] = await h.dataSource.query(
    'SELECT employee_id FROM group_members WHERE tenant_id = $1 AND group_id = $2 ORDER BY employee_id',
    [tenantId, groupId],
  );
  return rows.map((r) => r.employee_id);
}

async function groupRow(groupId: string): Promise<{ display_name: string; external_id: string | null; version: number } | undefined> {
  const rows = await h.dataSource.query('SELECT * FROM groups WHERE tenant_id = $1 AND id = $2', [t.tenant.id, groupId]);
  return rows[0];
}

async function createGroup(displayName: string, memberIds: string[] = [], extra: Record<string, unknown> = {}): Promise<string> {
  const result = await h.scim('POST', '/Groups', t.tokens.scim, {
    schemas: [GROUP_SCHEMA],
    displayName,
    members: memberIds.map((value) => ({ value })),
    ...extra,
  });
  expect(result.status).toBe(201);
  return result.body.id;
}

function patch(groupId: string, Operations: unknown[], headers?: Record<string, string>, token = t.tokens.scim): Promise<HttpResult> {
  return h.scim('PATCH', `/Groups/${groupId}`, token, { schemas: [PATCH_OP], Operations }, headers);
}

async function auditActions(groupId: string): Promise<{ action: string; changes: any }[]> {
  return h.dataSource.query(
    'SELECT action, changes FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at, action',
    [t.tenant.id, groupId],
  );
}

describe('Okta Group Push', () => {
  test('create: the displayName lookup answers 200 with an empty ListResponse, then POST with members [] is 201', async () => {
    const lookup = await h.scim('GET', `/Groups?filter=${filter('displayName eq "Okta Sales"')}&startIndex=1&count=100`, t.tokens.scim);
    expect(lookup.status).toBe(200);
    expect(lookup.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(lookup.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await h.request('POST', '/scim/v2/Groups', {
      token: t.tokens.scim,
      body: { schemas: [GROUP_SCHEMA], displayName: 'Okta Sales', members: [] },
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Okta SCIM Client 1.0.0' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toEqual({
      schemas: [GROUP_SCHEMA],
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: 'Okta Sales',
      members: [],
      meta: {
        resourceType: 'Group',
        created: expect.any(String),
        lastModified: expect.any(String),
        location: `${scimBase()}/Groups/${id}`,
        version: 'W/"1"',
      },
    });
    expect(created.headers.get('location')).toBe(`${scimBase()}/Groups/${id}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(await groupRow(id)).toMatchObject({ display_name: 'Okta Sales', version: 1 });
    expect(await members(id)).toEqual([]);

    // The next lookup finds it, whatever the case.
    const found = await h.scim('GET', `/Groups?filter=${filter('displayName eq "OKTA SALES"')}&startIndex=1&count=100`, t.tokens.scim);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0]).toMatchObject({ id, displayName: 'Okta Sales' });

    // A second group of the same name (in any case) is a 409 uniqueness.
    const duplicate = await h.scim('POST', '/Groups', t.tokens.scim, { schemas: [GROUP_SCHEMA], displayName: 'okta SALES' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
  });

  test('POST with members stores exactly those members', async () => {
    const id = await createGroup('Created With Members', [u[0], u[1], u[1]]);
    expect(await members(id)).toEqual(sorted([u[0], u[1]]));
    const read = await h.scim('GET', `/Groups/${id}`, t.tokens.scim);
    expect(read.status).toBe(200);
    expect(sorted(read.body.members.map((m: { value: string }) => m.value))).toEqual(sorted([u[0], u[1]]));
    expect(read.body.members.find((m: { value: string }) => m.value === u[0])).toEqual({
      value: u[0],
      display: 'Member0 Tester',
      $ref: `${scimBase()}/Users/${u[0]}`,
    });
  });

  test('rename: pathless replace echoing the id; 204; members untouched; another id is 400 mutability', async () => {
    const id = await createGroup('Okta Rename', [u[0]]);
    const renamed = await patch(id, [{ op: 'replace', value: { id, displayName: 'Okta Renamed' } }]);
    expect(renamed.status).toBe(204);
    expect(renamed.text).toBe('');
    expect(await groupRow(id)).toMatchObject({ display_name: 'Okta Renamed', version: 2 });
    expect(await members(id)).toEqual([u[0]]);

    const wrongId = await patch(id, [{ op: 'replace', value: { id: u[1], displayName: 'Hijacked' } }]);
    expect(wrongId.status).toBe(400);
    expect(wrongId.body.scimType).toBe('mutability');
    expect(await groupRow(id)).toMatchObject({ display_name: 'Okta Renamed', version: 2 });
  });

  test('membership change: rename echo + remove by filter + add, in one PATCH; repeating it changes nothing', async () => {
    const id = await createGroup('Okta Members', [u[0], u[1]]);
    const operations = [
      { op: 'replace', value: { id, displayName: 'Okta Members' } },
      { op: 'remove', path: `members[value eq "${u[0]}"]` },
      { op: 'add', path: 'members', value: [{ value: u[2], display: 'member2@groups.test' }] },
    ];
    const result = await patch(id, operations);
    expect(result.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[1], u[2]]));
    const version = (await groupRow(id))!.version;
    expect(version).toBe(2);

    const again = await patch(id, operations);
    expect(again.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[1], u[2]]));
    expect((await groupRow(id))!.version).toBe(version);
  });

  test('"push now": PATCH replace members, then PUT with all members; the set replaces the members', async () => {
    const id = await createGroup('Okta Push Now', [u[0], u[1], u[2]]);
    const replaced = await patch(id, [{ op: 'replace', path: 'members', value: [{ value: u[3] }, { value: u[4] }] }]);
    expect(replaced.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[3], u[4]]));

    const current = await h.scim('GET', `/Groups/${id}`, t.tokens.scim);
    const put = await h.scim('PUT', `/Groups/${id}`, t.tokens.scim, {
      ...current.body,
      members: [u[0], u[1], u[3]].map((value) => ({ value, display: 'x' })),
    });
    expect(put.status).toBe(200);
    expect(sorted(put.body.members.map((m: { value: string }) => m.value))).toEqual(sorted([u[0], u[1], u[3]]));
    expect(put.headers.get('etag')).toBe(put.body.meta.version);
    expect(await members(id)).toEqual(sorted([u[0], u[1], u[3]]));

    // A PUT without members renames and keeps the members (attributes left out keep their value, as for users).
    const renamed = await h.scim('PUT', `/Groups/${id}`, t.tokens.scim, { schemas: [GROUP_SCHEMA], displayName: 'Okta Pushed' });
    expect(renamed.status).toBe(200);
    expect(await groupRow(id)).toMatchObject({ display_name: 'Okta Pushed' });
    expect(await members(id)).toEqual(sorted([u[0], u[1], u[3]]));

    // members: [] empties it.
    expect((await h.scim('PUT', `/Groups/${id}`, t.tokens.scim, { displayName: 'Okta Pushed', members: [] })).status).toBe(200);
    expect(await members(id)).toEqual([]);
  });

  test('unlink with delete: 204; the group and its memberships are gone, the employees are untouched', async () => {
    const id = await createGroup('Okta Unlink', [u[0], u[1]]);
    const before = await Promise.all([u[0], u[1]].map((e) => h.employeeRow(t.tenant.id, e)));
    const deleted = await h.scim('DELETE', `/Groups/${id}`, t.tokens.scim);
    expect(deleted.status).toBe(204);
    expect(await groupRow(id)).toBeUndefined();
    expect(await members(id)).toEqual([]);
    expect(await Promise.all([u[0], u[1]].map((e) => h.employeeRow(t.tenant.id, e)))).toEqual(before);
    expect((await h.scim('GET', `/Users/${u[0]}`, t.tokens.scim)).status).toBe(200);
    const gone = await h.scim('GET', `/Groups/${id}`, t.tokens.scim);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: [ERROR], status: '404' });
    expect((await h.scim('DELETE', `/Groups/${id}`, t.tokens.scim)).status).toBe(404);
    expect((await auditActions(id)).map((a) => a.action)).toContain('group.deleted');
  });
});

describe('Entra ID', () => {
  test('create with extra schema URNs and unknown attributes; lookup by displayName with excludedAttributes=members', async () => {
    const created = await h.scim('POST', '/Groups', t.tokens.scim, {
      schemas: [GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
      externalId: 'e5a7c4d2-0000-4000-8000-00000000aaaa',
      displayName: 'Entra Engineering',
      [ENTRA_GROUP_SCHEMA]: { mailNickname: 'eng' },
      members: [{ value: u[0], $ref: null }],
    });
    expect(created.status).toBe(201);
    const lookup = await h.scim(
      'GET',
      `/Groups?excludedAttributes=members&filter=${filter('displayName eq "Entra Engineering"')}`,
      t.tokens.scim,
    );
    expect(lookup.status).toBe(200);
    expect(lookup.body.totalResults).toBe(1);
    expect(lookup.body.Resources[0]).toEqual({
      schemas: [GROUP_SCHEMA],
      id: created.body.id,
      externalId: 'e5a7c4d2-0000-4000-8000-00000000aaaa',
      displayName: 'Entra Engineering',
      meta: expect.objectContaining({ resourceType: 'Group' }),
    });
    expect(await members(created.body.id)).toEqual([u[0]]);
  });

  test('Remove with a value list removes only those members', async () => {
    const id = await createGroup('Entra Remove', [u[0], u[1], u[2], u[3]]);
    const result = await patch(id, [{ op: 'Remove', path: 'members', value: [{ value: u[1] }] }]);
    expect(result.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[0], u[2], u[3]]));
    const two = await patch(id, [{ op: 'Remove', path: 'members', value: [{ value: u[0] }, { value: u[3] }] }]);
    expect(two.status).toBe(204);
    expect(await members(id)).toEqual([u[2]]);
  });

  test('Add with "$ref": null and no type', async () => {
    const id = await createGroup('Entra Add', [u[0]]);
    const result = await patch(id, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: u[5] }, { $ref: null, value: u[6] }] }]);
    expect(result.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[0], u[5], u[6]]));
  });

  test('Replace displayName and externalId by path', async () => {
    const id = await createGroup('Entra Props', [u[0]]);
    const result = await patch(id, [
      { op: 'Replace', path: 'displayName', value: 'Entra Props Renamed' },
      { op: 'Replace', path: 'externalId', value: 'entra-ext-1' },
    ]);
    expect(result.status).toBe(204);
    expect(await groupRow(id)).toMatchObject({ display_name: 'Entra Props Renamed', external_id: 'entra-ext-1' });
    expect(await members(id)).toEqual([u[0]]);
  });
});

describe('membership rules', () => {
  test('adding a present member and removing an absent one are no-ops (no new version, no audit row)', async () => {
    const id = await createGroup('No-ops', [u[0], u[1]]);
    const audits = (await auditActions(id)).length;
    const result = await patch(id, [
      { op: 'add', path: 'members', value: [{ value: u[0] }] },
      { op: 'remove', path: `members[value eq "${u[7]}"]` },
      { op: 'remove', path: 'members', value: [{ value: u[6] }] },
    ]);
    expect(result.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[0], u[1]]));
    expect((await groupRow(id))!.version).toBe(1);
    expect(await auditActions(id)).toHaveLength(audits);
  });

  test('a single member object (not a list) is one member; ids compare ignoring case; id and meta paths are read-only', async () => {
    const id = await createGroup('Single', [u[0]]);
    expect((await patch(id, [{ op: 'add', path: 'members', value: { value: u[1] } }])).status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[0], u[1]]));

    const version = (await groupRow(id))!.version;
    expect((await patch(id, [{ op: 'add', path: 'members', value: [{ value: u[0].toUpperCase() }] }])).status).toBe(204);
    expect((await groupRow(id))!.version).toBe(version);
    expect((await patch(id, [{ op: 'remove', path: 'members', value: [{ value: u[1].toUpperCase() }] }])).status).toBe(204);
    expect(await members(id)).toEqual([u[0]]);

    for (const operation of [
      { op: 'replace', path: 'id', value: u[1] },
      { op: 'remove', path: 'id' },
      { op: 'remove', path: 'meta' },
      { op: 'replace', path: 'meta.lastModified', value: '2030-01-01T00:00:00Z' },
    ]) {
      const refused = await patch(id, [operation]);
      expect(refused.status).toBe(400);
      expect(refused.body.scimType).toBe('mutability');
    }
    expect(await groupRow(id)).toMatchObject({ display_name: 'Single' });
  });

  test('a PATCH naming one foreign member applies nothing and names the id', async () => {
    const id = await createGroup('Foreign', [u[0]]);
    const result = await patch(id, [
      { op: 'replace', value: { id, displayName: 'Foreign Renamed' } },
      { op: 'add', path: 'members', value: [{ value: u[1] }, { value: foreignUser }] },
    ]);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
    expect(result.body.detail).toContain(foreignUser);
    expect(result.body.detail).not.toContain(u[1]);
    expect(await members(id)).toEqual([u[0]]);
    expect(await groupRow(id)).toMatchObject({ display_name: 'Foreign', version: 1 });
    // The other tenant's employee is not a member of anything there either.
    expect(await h.dataSource.query('SELECT * FROM group_members WHERE employee_id = $1', [foreignUser])).toEqual([]);
  });

  test('unknown ids (a random uuid, a non-uuid) are refused the same way, on PATCH, POST and PUT', async () => {
    const id = await createGroup('Unknown', [u[0]]);
    const ghost = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const viaPatch = await patch(id, [{ op: 'replace', path: 'members', value: [{ value: u[1] }, { value: ghost }, { value: 'not-a-uuid' }] }]);
    expect(viaPatch.status).toBe(400);
    expect(viaPatch.body.detail).toContain(ghost);
    expect(viaPatch.body.detail).toContain('not-a-uuid');
    expect(await members(id)).toEqual([u[0]]);

    const viaPut = await h.scim('PUT', `/Groups/${id}`, t.tokens.scim, { displayName: 'Unknown', members: [{ value: foreignUser }] });
    expect(viaPut.status).toBe(400);
    expect(await members(id)).toEqual([u[0]]);

    const viaPost = await h.scim('POST', '/Groups', t.tokens.scim, { displayName: 'Never Created', members: [{ value: u[0] }, { value: ghost }] });
    expect(viaPost.status).toBe(400);
    expect(viaPost.body.detail).toContain(ghost);
    const rows = await h.dataSource.query('SELECT * FROM groups WHERE tenant_id = $1 AND display_name = $2', [t.tenant.id, 'Never Created']);
    expect(rows).toEqual([]);
  });

  test('remove path members without a value empties the group; a member filter it cannot read removes nothing', async () => {
    const id = await createGroup('Emptied', [u[0], u[1]]);
    const unreadable = await patch(id, [{ op: 'remove', path: 'members[display eq "member0 Tester"]' }]);
    expect(unreadable.status).toBe(400);
    const noValue = await patch(id, [{ op: 'remove', path: 'members', value: [{ display: 'member0 Tester' }] }]);
    expect(noValue.status).toBe(400);
    expect(await members(id)).toEqual(sorted([u[0], u[1]]));

    expect((await patch(id, [{ op: 'remove', path: 'members' }])).status).toBe(204);
    expect(await members(id)).toEqual([]);
  });

  test('pathless replace with members replaces the set; operations apply in order', async () => {
    const id = await createGroup('Pathless', [u[0], u[1]]);
    const result = await patch(id, [
      { op: 'replace', value: { id, displayName: 'Pathless', members: [{ value: u[2] }, { value: u[3] }] } },
      { op: 'add', path: 'members', value: [{ value: u[4] }] },
      { op: 'remove', path: `members[value eq "${u[2]}"]` },
    ]);
    expect(result.status).toBe(204);
    expect(await members(id)).toEqual(sorted([u[3], u[4]]));
  });

  test('If-Match with a stale version is 412 and changes nothing', async () => {
    const id = await createGroup('Versioned', [u[0]]);
    const current = await h.scim('GET', `/Groups/${id}`, t.tokens.scim);
    expect(current.headers.get('etag')).toBe('W/"1"');
    const ok = await patch(id, [{ op: 'add', path: 'members', value: [{ value: u[1] }] }], { 'If-Match': 'W/"1"' });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('etag')).toBe('W/"2"');
    const stale = await patch(id, [{ op: 'add', path: 'members', value: [{ value: u[2] }] }], { 'If-Match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(await members(id)).toEqual(sorted([u[0], u[1]]));
    expect((await h.scim('DELETE', `/Groups/${id}`, t.tokens.scim, undefined, { 'If-Match': 'W/"1"' })).status).toBe(412);
    expect(await groupRow(id)).toBeDefined();
  });

  test('concurrent membership PATCHes of one group all land', async () => {
    const id = await createGroup('Concurrent', []);
    const results = await Promise.all(
      [u[0], u[1], u[2], u[3]].map((value) => patch(id, [{ op: 'add', path: 'members', value: [{ value }] }])),
    );
    expect(results.map((r) => r.status)).toEqual([204, 204, 204, 204]);
    expect(await members(id)).toEqual(sorted([u[0], u[1], u[2], u[3]]));
    expect((await groupRow(id))!.version).toBe(5);
  });

  test('membership changes write audit rows with the member ids, in the same transaction', async () => {
    const id = await createGroup('Audited', [u[0]]);
    await patch(id, [
      { op: 'add', path: 'members', value: [{ value: u[1] }, { value: u[2] }] },
      { op: 'remove', path: `members[value eq "${u[0]}"]` },
    ]);
    const audit = await auditActions(id);
    expect(audit.map((a) => a.action)).toEqual(['group.created', 'group.members_added', 'group.members_added', 'group.members_removed']);
    expect(audit[1].changes).toEqual({ memberIds: { from: null, to: [u[0]] } });
    expect(sorted(audit[2].changes.memberIds.to)).toEqual(sorted([u[1], u[2]]));
    expect(audit[3].changes).toEqual({ memberIds: { from: [u[0]], to: null } });
    const refused = await patch(id, [{ op: 'add', path: 'members', value: [{ value: foreignUser }] }]);
    expect(refused.status).toBe(400);
    expect(await auditActions(id)).toHaveLength(4);
  });

  test('deleting an employee (SCIM DELETE /Users) removes it from every group', async () => {
    const leaver = (await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('leaver@groups.test'))).body.id;
    const a = await createGroup('Leaver A', [u[0], leaver]);
    const b = await createGroup('Leaver B', [leaver]);
    expect((await h.scim('DELETE', `/Users/${leaver}`, t.tokens.scim)).status).toBe(204);
    const read = await h.scim('GET', `/Groups/${a}`, t.tokens.scim);
    expect(read.body.members.map((m: { value: string }) => m.value)).toEqual([u[0]]);
    expect(read.body.meta.version).toBe('W/"2"');
    expect(await members(a)).toEqual([u[0]]);
    expect(await members(b)).toEqual([]);
    const found = await h.scim('GET', `/Groups?filter=${filter(`members[value eq "${leaver}"]`)}`, t.tokens.scim);
    expect(found.body.totalResults).toBe(0);
    // A deleted employee cannot be added back.
    expect((await patch(b, [{ op: 'add', path: 'members', value: [{ value: leaver }] }])).status).toBe(400);
  });

  test("another tenant's token sees and changes none of this tenant's groups", async () => {
    const id = await createGroup('Private', [u[0]]);
    expect((await h.scim('GET', `/Groups/${id}`, other.tokens.scim)).status).toBe(404);
    expect((await patch(id, [{ op: 'remove', path: 'members' }], undefined, other.tokens.scim)).status).toBe(404);
    expect((await h.scim('DELETE', `/Groups/${id}`, other.tokens.scim)).status).toBe(404);
    const list = await h.scim('GET', '/Groups?count=200', other.tokens.scim);
    expect(list.body.Resources.map((g: { id: string }) => g.id)).not.toContain(id);
    expect(await members(id)).toEqual([u[0]]);
  });
});

describe('GET /Groups', () => {
  let small: string;
  let large: string;

  beforeAll(async () => {
    small = await createGroup('Filter Small', [u[0]], { externalId: 'ext-Small' });
    large = await createGroup('Filter Large', [u[0], u[1], u[2], u[3], u[4]], { externalId: 'ext-large' });
  });

  test('excludedAttributes=members and attributes=displayName return no members; the full GET does', async () => {
    for (const query of ['excludedAttributes=members', 'attributes=displayName', `attributes=${GROUP_SCHEMA}:displayName`]) {
      const result = await h.scim('GET', `/Groups?${query}&count=200`, t.tokens.scim);
      expect(result.status).toBe(200);
      expect(result.body.Resources.length).toBeGreaterThan(1);
      for (const group of result.body.Resources) {
        expect(group).not.toHaveProperty('members');
        expect(group).toHaveProperty('id');
      }
    }
    const one = await h.scim('GET', `/Groups/${large}?excludedAttributes=members`, t.tokens.scim);
    expect(one.body).not.toHaveProperty('members');
    expect(one.body.displayName).toBe('Filter Large');
    const full = await h.scim('GET', `/Groups?filter=${filter('displayName eq "Filter Large"')}`, t.tokens.scim);
    expect(full.body.Resources[0].members).toHaveLength(5);
  });

  test.each([
    ['displayName eq "filter small"', ['Filter Small']],
    ['displayName sw "Filter "', ['Filter Large', 'Filter Small']],
    ['externalId eq "ext-Small"', ['Filter Small']],
    ['externalId eq "EXT-SMALL"', []],
    ['displayName sw "Filter" and externalId eq "ext-large"', ['Filter Large']],
    ['displayName sw "Filter" and not (externalId eq "ext-large")', ['Filter Small']],
    ['id eq "0f8fad5b-d9cb-469f-a165-70867728950e"', []],
    ['meta.resourceType eq "Group" and displayName eq "Filter Small"', ['Filter Small']],
  ])('filter %s', async (expression, names) => {
    const result = await h.scim('GET', `/Groups?filter=${filter(expression)}&excludedAttributes=members`, t.tokens.scim);
    expect(result.status).toBe(200);
    expect(result.body.totalResults).toBe(names.length);
    expect(result.body.Resources.map((g: { displayName: string }) => g.displayName).sort()).toEqual(names);
  });

  test('id eq, members[value eq "<user>"] and members.value eq find the groups of a user', async () => {
    const byId = await h.scim('GET', `/Groups?filter=${filter(`id eq "${small}"`)}`, t.tokens.scim);
    expect(byId.body.Resources.map((g: { id: string }) => g.id)).toEqual([small]);
    const withU1 = await h.scim(
      'GET',
      `/Groups?filter=${filter(`displayName sw "Filter" and members[value eq "${u[1]}"]`)}&excludedAttributes=members`,
      t.tokens.scim,
    );
    expect(withU1.body.Resources.map((g: { id: string }) => g.id)).toEqual([large]);
    const withU0 = await h.scim('GET', `/Groups?filter=${filter(`displayName sw "Filter" and members.value eq "${u[0]}"`)}`, t.tokens.scim);
    expect(withU0.body.totalResults).toBe(2);
    // Groups hold the member whatever case the id is given in.
    const upper = await h.scim('GET', `/Groups?filter=${filter(`members[value eq "${u[1].toUpperCase()}"]`)}`, t.tokens.scim);
    expect(upper.body.Resources.map((g: { id: string }) => g.id)).toContain(large);
  });

  test('members[type eq "User"].value eq "<user>" (Entra\'s form) finds the groups of a user; the type is honoured', async () => {
    const ids = async (query: string) => {
      const result = await h.scim('GET', `/Groups?${query}&excludedAttributes=members`, t.tokens.scim);
      expect(result.status).toBe(200);
      return sorted(result.body.Resources.map((g: { id: string }) => g.id));
    };
    const scoped = (expression: string) => ids(`filter=${filter(`displayName sw "Filter" and ${expression}`)}`);
    // Unscoped, as Entra sends it: u[1] is also in groups of earlier tests, so compare with the bracket-only form.
    const groupsOfU1 = await ids(`filter=${filter(`members[value eq "${u[1]}"]`)}`);
    expect(groupsOfU1).toContain(large);
    expect(groupsOfU1).not.toContain(small);
    expect(await ids(`filter=members%5Btype%20eq%20%22User%22%5D.value%20eq%20%22${u[1]}%22`)).toEqual(groupsOfU1);
    expect(await ids(`filter=members[type+eq+%22User%22].value+eq+%22${u[1]}%22`)).toEqual(groupsOfU1);
    expect(await scoped(`members[type eq "User"].value eq "${u[0]}"`)).toEqual(sorted([small, large]));
    expect(await scoped(`MEMBERS[TYPE eq "user"].VALUE eq "${u[0].toUpperCase()}"`)).toEqual(sorted([small, large]));
    expect(await scoped(`${GROUP_SCHEMA}:members[type eq "User"].value eq "${u[1]}"`)).toEqual([large]);
    expect(await scoped(`members[type eq "Group"].value eq "${u[1]}"`)).toEqual([]);
    expect(await scoped(`members[type eq "User"].value eq "${u[5]}"`)).toEqual([]);
    expect(await scoped(`members[value eq "${u[1]}"].type eq "User"`)).toEqual([large]);
    expect(await scoped(`not (members[type eq "User"].value eq "${u[1]}")`)).toEqual([small]);
  });

  test('a member filter that holds without naming a member still needs a member: an empty group never matches', async () => {
    const full = await createGroup('Typed Full', [u[0]]);
    await createGroup('Typed Empty', []);
    const names = async (expression: string) => {
      const result = await h.scim('GET', `/Groups?filter=${filter(`displayName sw "Typed" and ${expression}`)}`, t.tokens.scim);
      expect(result.status).toBe(200);
      return result.body.Resources.map((g: { id: string }) => g.id);
    };
    expect(await names('members[type eq "User"]')).toEqual([full]);
    expect(await names('members.type eq "User"')).toEqual([full]);
    expect(await names('members[type eq "Group"]')).toEqual([]);
    expect(await names(`members[not (value eq "${u[5]}")]`)).toEqual([full]);
    expect(await names('members[type eq "User"].value pr')).toEqual([full]);
  });

  test('unknown attributes and unsupported member comparisons are 400 invalidFilter', async () => {
    for (const expression of [
      'nickName eq "x"',
      'members[display eq "x"]',
      `members.value ne "${u[0]}"`,
      'displayName eq 5',
      'members[type eq "User"].display eq "x"',
      `members[type eq "User"].value ne "${u[0]}"`,
      'members[type eq "User"].value co "a"',
      `members[type eq "User"].value eq "${u[0]}"]`,
      'displayName[value eq "x"].value eq "y"',
    ]) {
      const result = await h.scim('GET', `/Groups?filter=${filter(expression)}`, t.tokens.scim);
      expect(result.status).toBe(400);
      expect(result.body.scimType).toBe('invalidFilter');
    }
    const display = await h.scim('GET', `/Groups?filter=${filter('members[type eq "User"].display eq "x"')}`, t.tokens.scim);
    expect(display.body.detail).toMatch(/members can be filtered on value and type/);
  });

  test('paging: startIndex/count walks every group once in a stable order with an exact total; count=0 counts', async () => {
    for (let i = 0; i < 7; i++) await createGroup(`Paged ${i}`, [], { externalId: `paged-${i}` });
    const all = await h.scim('GET', `/Groups?filter=${filter('displayName sw "Paged"')}&count=200`, t.tokens.scim);
    expect(all.body.totalResults).toBe(7);
    for (const count of [1, 3]) {
      const seen: string[] = [];
      for (let start = 1; start <= 7; start += count) {
        const page = await h.scim('GET', `/Groups?filter=${filter('displayName sw "Paged"')}&startIndex=${start}&count=${count}`, t.tokens.scim);
        expect(page.body).toMatchObject({ totalResults: 7, startIndex: start, itemsPerPage: Math.min(count, 7 - start + 1) });
        seen.push(...page.body.Resources.map((g: { id: string }) => g.id));
      }
      expect(seen).toEqual(all.body.Resources.map((g: { id: string }) => g.id));
    }
    const counted = await h.scim('GET', `/Groups?filter=${filter('displayName sw "Paged"')}&count=0`, t.tokens.scim);
    expect(counted.body).toEqual({ schemas: [LIST], totalResults: 7, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const sortedDesc = await h.scim('GET', `/Groups?filter=${filter('displayName sw "Paged"')}&sortBy=externalId&sortOrder=descending`, t.tokens.scim);
    expect(sortedDesc.body.Resources.map((g: { externalId: string }) => g.externalId)).toEqual(
      Array.from({ length: 7 }, (_, i) => `paged-${6 - i}`),
    );
  });

  test('the representation holds exactly the attributes the Group schema describes', async () => {
    const schema = (await h.scim('GET', `/Schemas/${CORE_GROUP_SCHEMA_URN}`, t.tokens.scim)).body;
    const group = (await h.scim('GET', `/Groups/${small}`, t.tokens.scim)).body;
    const described = schema.attributes.map((a: { name: string }) => a.name).sort();
    expect(Object.keys(group).filter((k) => k !== 'schemas').sort()).toEqual(described);
    const membersDef = schema.attributes.find((a: { name: string }) => a.name === 'members');
    expect(membersDef).toMatchObject({ multiValued: true, type: 'complex' });
    const returnedSubs = membersDef.subAttributes.filter((s: { returned: string }) => s.returned !== 'never').map((s: { name: string }) => s.name);
    expect(Object.keys(group.members[0]).sort()).toEqual(returnedSubs.sort());
    expect(schema.attributes.find((a: { name: string }) => a.name === 'displayName')).toMatchObject({
      required: true,
      uniqueness: 'server',
      caseExact: false,
    });
  });
});

describe("users' read-only groups attribute", () => {
  let alpha: string;
  let beta: string;

  beforeAll(async () => {
    beta = await createGroup('Users Beta', [u[6], u[7]]);
    alpha = await createGroup('Users Alpha', [u[6]]);
  });

  test('GET /Users/{id} and the list show the groups as {value, display, $ref}; none means no attribute', async () => {
    const one = await h.scim('GET', `/Users/${u[6]}`, t.tokens.scim);
    expect(one.body.groups).toEqual(
      expect.arrayContaining([
        { value: alpha, display: 'Users Alpha', $ref: `${scimBase()}/Groups/${alpha}` },
        { value: beta, display: 'Users Beta', $ref: `${scimBase()}/Groups/${beta}` },
      ]),
    );
    const listed = await h.scim('GET', `/Users?filter=${filter('userName eq "member7@groups.test"')}`, t.tokens.scim);
    expect(listed.body.Resources[0].groups).toEqual([{ value: beta, display: 'Users Beta', $ref: `${scimBase()}/Groups/${beta}` }]);
    const lonely = (await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('lonely@groups.test'))).body.id;
    expect((await h.scim('GET', `/Users/${lonely}`, t.tokens.scim)).body).not.toHaveProperty('groups');
    expect((await h.scim('GET', `/Users/${u[6]}?excludedAttributes=groups`, t.tokens.scim)).body).not.toHaveProperty('groups');
  });

  test('a page of users costs the same statements whatever its size (one groups query per page)', async () => {
    const cost = async (count: number) => {
      await h.scim('GET', '/ServiceProviderConfig', t.tokens.scim); // token last-used stamp
      await h.app.provisioningLog.flush(); // earlier writes' log entries
      const before = h.statements.count;
      const result = await h.scim('GET', `/Users?count=${count}`, t.tokens.scim);
      expect(result.body.itemsPerPage).toBe(count);
      return h.statements.count - before;
    };
    expect(await cost(2)).toBe(await cost(8));
  });

  test('never writable: PUT and POST ignore groups, PATCH of groups is 400 mutability', async () => {
    const current = await h.scim('GET', `/Users/${u[7]}`, t.tokens.scim);
    const put = await h.scim('PUT', `/Users/${u[7]}`, t.tokens.scim, { ...current.body, groups: [{ value: alpha, display: 'Users Alpha' }] });
    expect(put.status).toBe(200);
    expect(put.body.groups).toEqual([{ value: beta, display: 'Users Beta', $ref: `${scimBase()}/Groups/${beta}` }]);
    expect(await members(alpha)).toEqual([u[6]]);
    // A PUT that changes the user answers with its groups too (reused from the read, not looked up again).
    const renamed = await h.scim('PUT', `/Users/${u[7]}`, t.tokens.scim, { ...current.body, name: { givenName: 'Renamed', familyName: 'Seven' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toMatchObject({ givenName: 'Renamed', familyName: 'Seven' });
    expect(renamed.body.groups).toEqual(put.body.groups);
    expect(renamed.body.meta.version).not.toEqual(put.body.meta.version);
    const patched = await h.scim('PATCH', `/Users/${u[7]}`, t.tokens.scim, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'groups', value: [{ value: alpha }] }],
    });
    expect(patched.status).toBe(400);
    expect(patched.body.scimType).toBe('mutability');
    // Okta echoes the user it read, groups included, in a pathless replace: that is not a change.
    const echoed = await h.scim('PATCH', `/Users/${u[7]}`, t.tokens.scim, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { groups: current.body.groups, active: true } }],
    });
    expect(echoed.status).toBe(200);
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('withgroups@groups.test', { groups: [{ value: alpha }] }));
    expect(created.status).toBe(201);
    expect(await members(alpha)).toEqual([u[6]]);
  });
});

describe('scale: membership changes are set-based', () => {
  let seeded: string[];

  beforeAll(async () => {
    const rows: { id: string }[] = await h.dataSource.query(
      `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by, primary_role_id)
       SELECT $1, 'bulk' || i || '@seed.test', 'bulk' || i || '@seed.test', 'Bulk', i::text, 'bulk' || i || '@seed.test', 'IDENTITY_PROVIDER',
              (SELECT id FROM roles WHERE tenant_id = $1 AND name = 'Agent')
         FROM generate_series(1, 1000) AS i
       RETURNING id`,
      [t.tenant.id],
    );
    seeded = rows.map((r) => r.id);
    expect(seeded).toHaveLength(1000);
  });

  /** SQL statements one request costs, the provisioning-log insert that follows it included. */
  async function cost(request: () => Promise<HttpResult>, status: number): Promise<number> {
    await h.scim('GET', '/ServiceProviderConfig', t.tokens.scim); // token last-used stamp
    await h.app.provisioningLog.flush();
    const before = h.statements.count;
    const result = await request();
    expect(result.status).toBe(status);
    await h.app.provisioningLog.flush();
    return h.statements.count - before;
  }

  test('adding, removing and replacing 1,000 members costs what 10 members cost', async () => {
    const ten = await createGroup('Scale Ten');
    const thousand = await createGroup('Scale Thousand');
    const add = (id: string, ids: string[]) => () => patch(id, [
      { op: 'replace', value: { id, displayName: id === ten ? 'Scale Ten' : 'Scale Thousand' } },
      { op: 'add', path: 'members', value: ids.map((value) => ({ value, display: 'Bulk' })) },
    ]);
    const addTen = await cost(add(ten, seeded.slice(0, 10)), 204);
    const addThousand = await cost(add(thousand, seeded), 204);
    expect(await members(ten)).toEqual(sorted(seeded.slice(0, 10)));
    expect(await members(thousand)).toEqual(sorted(seeded));
    expect(addThousand).toBe(addTen);

    const remove = (id: string, ids: string[]) => () => patch(id, [{ op: 'Remove', path: 'members', value: ids.map((value) => ({ value })) }]);
    const removeTen = await cost(remove(ten, seeded.slice(0, 5)), 204);
    const removeThousand = await cost(remove(thousand, seeded.slice(0, 500)), 204);
    expect(removeThousand).toBe(removeTen);
    expect(await members(thousand)).toEqual(sorted(seeded.slice(500)));

    const replace = (id: string, ids: string[]) => () => patch(id, [{ op: 'replace', path: 'members', value: ids.map((value) => ({ value })) }]);
    // Both replacements add some members and remove others (one audit row each way).
    const replaceTen = await cost(replace(ten, seeded.slice(990)), 204);
    const replaceThousand = await cost(replace(thousand, seeded.slice(0, 500)), 204);
    expect(replaceThousand).toBe(replaceTen);
    expect(await members(thousand)).toEqual(sorted(seeded.slice(0, 500)));
    expect(await members(ten)).toEqual(sorted(seeded.slice(990)));

    // A refused request (one unknown id among 1,000) is refused in as few statements and applies nothing.
    const refused = await cost(
      () => patch(thousand, [{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [...seeded, foreignUser].map((value) => ({ value })) }]),
      400,
    );
    expect(refused).toBeLessThanOrEqual(addTen);
    expect(await members(thousand)).toEqual(sorted(seeded.slice(0, 500)));

    const put = (id: string, ids: string[]) => () =>
      h.scim('PUT', `/Groups/${id}`, t.tokens.scim, { displayName: id === ten ? 'Scale Ten' : 'Scale Thousand', members: ids.map((value) => ({ value })) });
    expect(await cost(put(thousand, seeded.slice(1)), 200)).toBe(await cost(put(ten, seeded.slice(1, 11)), 200));
    expect(await members(thousand)).toEqual(sorted(seeded.slice(1)));

    const listCost = () => cost(() => h.scim('GET', '/Groups?excludedAttributes=members&count=200', t.tokens.scim), 200);
    const listWithLarge = await listCost();
    await patch(thousand, [{ op: 'remove', path: 'members' }]);
    expect(await listCost()).toBe(listWithLarge);

    console.log(`statements: add 10 ${addTen}, add 1000 ${addThousand}; remove ${removeTen}/${removeThousand}; replace ${replaceTen}/${replaceThousand}; refused ${refused}; list ${listWithLarge}`);
  });

  test('the provisioning log records group writes and failures', async () => {
    await h.app.provisioningLog.flush();
    const rows: { method: string; path: string; status: number; outcome: string; scim_type: string | null }[] = await h.dataSource.query(
      `SELECT method, path, status, outcome, scim_type FROM provisioning_events WHERE tenant_id = $1 AND path LIKE '/scim/v2/Groups%'`,
      [t.tenant.id],
    );
    expect(rows.some((r) => r.method === 'POST' && r.status === 201 && r.outcome === 'SUCCESS')).toBe(true);
    expect(rows.some((r) => r.method === 'PATCH' && r.status === 204 && r.outcome === 'SUCCESS')).toBe(true);
    expect(rows.some((r) => r.method === 'DELETE' && r.status === 204)).toBe(true);
    expect(rows.some((r) => r.method === 'PATCH' && r.status === 400 && r.scim_type === 'invalidValue')).toBe(true);
    expect(rows.some((r) => r.method === 'GET' && r.status === 200)).toBe(false);
  });
});
