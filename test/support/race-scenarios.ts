import { toGlobalId } from '../../src/graphql/global-id';

/**
 * Concurrency guarantees as scenarios, run by races.test.ts against one in-process server and by instances.test.ts
 * against two server processes on one PostgreSQL (request i goes to server i % 2 there).
 */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface RaceTarget {
  /** Sends SCIM request number `i` (a target with several servers picks one by `i`). */
  scim(i: number, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  graphql(i: number, query: string, variables?: Record<string, unknown>): Promise<Answer>;
  /** SQL straight on the database, bypassing every surface. */
  query(sql: string, params?: unknown[]): Promise<any[]>;
  tenantId: string;
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function scimUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Race', familyName: 'Runner' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    active: true,
    ...extra,
  };
}

function patchBody(Operations: unknown[]) {
  return { schemas: [PATCH_OP], Operations };
}

async function createUser(target: RaceTarget, userName: string): Promise<string> {
  const created = await target.scim(0, 'POST', '/Users', scimUser(userName));
  expect(created.status).toBe(201);
  return created.body.id;
}

async function employeeRow(target: RaceTarget, id: string): Promise<any> {
  const [row] = await target.query('SELECT * FROM employees WHERE tenant_id = $1 AND id = $2', [target.tenantId, id]);
  return row;
}

/** Makes the tenant import the optional attributes the scenarios write (by default a tenant ignores them). */
export async function importOptionalAttributes(target: RaceTarget): Promise<void> {
  const result = await target.graphql(
    0,
    `mutation { updateTenantSettings(input: { scimImportFields: [DISPLAY_NAME, MIDDLE_NAME, TIME_ZONE, TYPE] }) {
      tenantSettings { scimImportFields } userErrors { message } } }`,
  );
  expect(result.body.data.updateTenantSettings.userErrors).toEqual([]);
}

/** 50 identical creates at once: exactly one 201, 49 × 409 uniqueness, one row. */
export async function identicalCreates(target: RaceTarget, userName: string, count = 50): Promise<void> {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => target.scim(i, 'POST', '/Users', scimUser(userName))));
  expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  const refused = results.filter((r) => r.status !== 201);
  expect(refused.map((r) => [r.status, r.body?.schemas, r.body?.status, r.body?.scimType])).toEqual(
    Array(count - 1).fill([409, [ERROR_SCHEMA], '409', 'uniqueness']),
  );
  const rows = await target.query('SELECT id FROM employees WHERE tenant_id = $1 AND username = $2', [target.tenantId, userName]);
  expect(rows.map((r) => r.id)).toEqual([results.find((r) => r.status === 201)!.body.id]);
}

/**
 * Concurrent PATCHes and a PUT of one employee, each writing other fields and no If-Match: all are acknowledged and
 * every field each wrote is in the final row (a read-modify-write without a row lock would lose some).
 */
export async function disjointWrites(target: RaceTarget, userName: string): Promise<void> {
  const id = await createUser(target, userName);
  const writes: { request: () => Promise<Answer>; column: string; value: unknown }[] = [
    { column: 'display_name', value: 'Shown Name', request: () => target.scim(0, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', path: 'displayName', value: 'Shown Name' }])) },
    { column: 'middle_name', value: 'Middle', request: () => target.scim(1, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', path: 'name.middleName', value: 'Middle' }])) },
    { column: 'type', value: 'Contractor', request: () => target.scim(2, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', path: 'userType', value: 'Contractor' }])) },
    { column: 'time_zone', value: 'Europe/Paris', request: () => target.scim(3, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', path: 'timezone', value: 'Europe/Paris' }])) },
    { column: 'status', value: 'INACTIVE', request: () => target.scim(4, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', value: { active: false } }])) },
    // A PUT that leaves the attributes above out keeps them (src/scim/router.ts#replaceUser), so it is disjoint too.
    {
      column: 'last_name',
      value: 'Replaced',
      request: () => target.scim(5, 'PUT', `/Users/${id}`, { ...scimUser(userName, { active: undefined }), name: { givenName: 'Race', familyName: 'Replaced' } }),
    },
  ];
  const results = await Promise.all(writes.map((w) => w.request()));
  expect(results.map((r) => r.status)).toEqual(writes.map(() => 200));
  const row = await employeeRow(target, id);
  expect(Object.fromEntries(writes.map((w) => [w.column, row[w.column]]))).toEqual(Object.fromEntries(writes.map((w) => [w.column, w.value])));
  expect(row.version).toBe(1 + writes.length);
}

/** Writers that all send If-Match with the version they read: one wins, the others get 412 and change nothing. */
export async function ifMatchWriters(target: RaceTarget, userName: string, count = 10): Promise<void> {
  const id = await createUser(target, userName);
  const read = await target.scim(0, 'GET', `/Users/${id}`);
  const version = read.body.meta.version;
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      i % 2 === 0
        ? target.scim(i, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', path: 'displayName', value: `writer ${i}` }]), { 'If-Match': version })
        : target.scim(i, 'PUT', `/Users/${id}`, scimUser(userName, { displayName: `writer ${i}` }), { 'If-Match': version }),
    ),
  );
  const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
  expect(winners).toHaveLength(1);
  expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body?.status])).toEqual(Array(count - 1).fill([412, '412']));
  const row = await employeeRow(target, id);
  expect(row.display_name).toBe(`writer ${winners[0]}`);
  expect(row.version).toBe(2);
}

/**
 * Membership PATCHes on one group at once, each adding or removing other employees: the group ends with exactly the
 * members the acknowledged operations imply, and its version counts each of them.
 */
export async function membershipPatches(target: RaceTarget, prefix: string, adds = 12, removes = 10): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < adds + removes; i++) ids.push(await createUser(target, `${prefix}-${i}@example.com`));
  const initial = ids.slice(0, removes);
  const added = ids.slice(removes);
  const created = await target.scim(0, 'POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `${prefix} group`, members: initial.map((value) => ({ value })) });
  expect(created.status).toBe(201);
  const groupId = created.body.id;
  const operations = [
    ...added.map((value) => ({ kind: 'add' as const, value, op: { op: 'add', path: 'members', value: [{ value }] } })),
    ...initial.map((value) => ({ kind: 'remove' as const, value, op: { op: 'remove', path: `members[value eq "${value}"]` } })),
  ];
  const results = await Promise.all(operations.map((o, i) => target.scim(i, 'PATCH', `/Groups/${groupId}`, patchBody([o.op]))));
  expect(results.map((r) => r.status)).toEqual(operations.map(() => 204));
  const expected = new Set(initial);
  operations.forEach((o, i) => {
    if (results[i].status !== 204) return;
    if (o.kind === 'add') expected.add(o.value);
    else expected.delete(o.value);
  });
  const rows = await target.query('SELECT employee_id FROM group_members WHERE tenant_id = $1 AND group_id = $2', [target.tenantId, groupId]);
  expect(rows.map((r) => r.employee_id).sort()).toEqual([...expected].sort());
  expect([...expected].sort()).toEqual([...added].sort());
  const [group] = await target.query('SELECT version FROM groups WHERE tenant_id = $1 AND id = $2', [target.tenantId, groupId]);
  expect(group.version).toBe(1 + operations.length);
}

const UPDATE = `mutation($input: UpdateEmployeeInput!) {
  updateEmployee(input: $input) { employee { status timeZone } userErrors { code field message } }
}`;

/**
 * A GraphQL edit of a local field racing the IdP's deactivation, `rounds` times: the employee always ends inactive
 * (never resurrected by a write of a stale row), and the edit is either applied on top or refused with a user error.
 */
export async function graphqlEditVersusDeactivation(target: RaceTarget, prefix: string, rounds = 20): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const id = await createUser(target, `${prefix}-${round}@example.com`);
    const timeZone = round % 2 ? 'America/Chicago' : 'Asia/Tokyo';
    const input = { id: toGlobalId('Employee', id), timeZone, mobileNumber: `+1555000${String(round).padStart(4, '0')}` };
    const deactivate = () => target.scim(round, 'PATCH', `/Users/${id}`, patchBody([{ op: 'replace', value: { active: false } }]));
    const edit = () => target.graphql(round + 1, UPDATE, { input });
    const [scim, graphql] = round % 2 ? await Promise.all([deactivate(), edit()]) : (await Promise.all([edit(), deactivate()])).reverse();
    expect(scim.status).toBe(200);
    expect(scim.body.active).toBe(false);
    expect(graphql.status).toBe(200);
    expect(graphql.body.errors).toBeUndefined();
    const { userErrors } = graphql.body.data.updateEmployee;
    const row = await employeeRow(target, id);
    expect(row.status).toBe('INACTIVE');
    if (userErrors.length === 0) {
      expect([row.time_zone, row.mobile_number]).toEqual([timeZone, input.mobileNumber]);
    } else {
      expect(userErrors.map((e: { code: string }) => e.code)).toEqual(['VERSION_CONFLICT']);
      expect([row.time_zone, row.mobile_number]).toEqual([null, null]);
    }
  }
}
