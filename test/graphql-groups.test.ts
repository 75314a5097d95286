import { createSchema } from '../src/graphql/schema';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/** Groups in the GraphQL API: read-only (the IdP owns them), paged, tenant-scoped. */
let h: Harness;
let t: TestTenant;
const userIds: string[] = [];
let groupId: string;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('gql-groups');
  for (let i = 0; i < 7; i++) {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`member${i}@groups.example`));
    userIds.push(created.body.id);
  }
  const group = await h.scim('POST', '/Groups', t.tokens.scim, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: 'Night Shift',
    externalId: '00g1',
    members: userIds.map((value) => ({ value })),
  });
  expect(group.status).toBe(201);
  groupId = group.body.id;
  await h.scim('POST', '/Groups', t.tokens.scim, { displayName: 'Day Shift', members: [{ value: userIds[0] }] });
});
afterAll(async () => h?.close());

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

test('groups(search) and group(id) with a paged member connection', async () => {
  const list = await h.graphql(t.tokens.read, '{ groups(search: "shift") { totalCount nodes { displayName externalId } } }');
  expect(list.body.data.groups).toEqual({
    totalCount: 2,
    nodes: [
      { displayName: 'Day Shift', externalId: null },
      { displayName: 'Night Shift', externalId: '00g1' },
    ],
  });
  const MEMBERS = `query($id: ID!, $after: String) { group(id: $id) { displayName members(first: 3, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { username } } } }`;
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 5; i++) {
    const page: any = await h.graphql(t.tokens.read, MEMBERS, { id: gid('Group', groupId), after });
    expect(page.body.data.group.members.totalCount).toBe(7);
    seen.push(...page.body.data.group.members.nodes.map((n: { username: string }) => n.username));
    if (!page.body.data.group.members.pageInfo.hasNextPage) break;
    after = page.body.data.group.members.pageInfo.endCursor;
  }
  expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `member${i}@groups.example`));
});

test('Employee.groups, and node(id) for a group', async () => {
  const result = await h.graphql(t.tokens.read, 'query($id: ID!) { employee(id: $id) { groups { displayName } } }', {
    id: gid('Employee', userIds[0]),
  });
  expect(result.body.data.employee.groups).toEqual([{ displayName: 'Day Shift' }, { displayName: 'Night Shift' }]);
  const node = await h.graphql(t.tokens.read, 'query($id: ID!) { node(id: $id) { ... on Group { displayName } } }', { id: gid('Group', groupId) });
  expect(node.body.data.node).toEqual({ displayName: 'Night Shift' });
});

test('a page of employees with their groups costs a constant number of statements', async () => {
  const PAGE = '{ employees(first: 100) { nodes { username groups { displayName } } } }';
  await h.graphql(t.tokens.read, PAGE);
  const before = h.statements.count;
  await h.graphql(t.tokens.read, PAGE);
  // count + page + group ids of all employees + the groups themselves
  expect(h.statements.count - before).toBeLessThanOrEqual(4);
});

test("another tenant's groups are invisible", async () => {
  const other = await h.tenant('gql-groups-other');
  expect((await h.graphql(other.tokens.read, 'query($id: ID!) { group(id: $id) { id } }', { id: gid('Group', groupId) })).body.data.group).toBeNull();
  expect((await h.graphql(other.tokens.read, '{ groups { totalCount } }')).body.data.groups.totalCount).toBe(0);
});

test('groups are read-only in GraphQL: no mutation touches them', async () => {
  const schema = await createSchema();
  const mutations = Object.keys(schema.getMutationType()!.getFields());
  expect(mutations.filter((m) => /group/i.test(m))).toEqual([]);
});

test('Group.provisionedBy names the SCIM token (or OAuth client) whose request created the group, in constant statements', async () => {
  const tenant = await h.tenant('gql-groups-provisioned');
  const { tokenService } = await import('../src/services/token.service');
  const entra = (await tokenService.create(tenant.ctx, { name: 'Entra production', scope: 'scim' })).secret;
  const create = async (token: string, displayName: string) => {
    const response = await h.scim('POST', '/Groups', token, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName });
    expect(response.status).toBe(201);
  };
  await create(tenant.tokens.scim, 'Okta group');
  await create(entra, 'Entra group');
  // A group with no recorded creator (written outside any request): null, not an error.
  await h.dataSource.query(`INSERT INTO groups (tenant_id, display_name) VALUES ($1, 'Unrecorded group')`, [tenant.tenant.id]);
  const LIST = '{ groups(first: 50) { nodes { id displayName provisionedBy } } }';
  await h.graphql(tenant.tokens.read, LIST);
  const before = h.statements.count;
  const list = await h.graphql(tenant.tokens.read, LIST);
  // count + page + the creators of the page + their names
  expect(h.statements.count - before).toBeLessThanOrEqual(4);
  const nodes: { id: string; displayName: string; provisionedBy: string | null }[] = list.body.data.groups.nodes;
  expect(nodes.map(({ displayName, provisionedBy }) => ({ displayName, provisionedBy }))).toEqual([
    { displayName: 'Entra group', provisionedBy: 'Entra production' },
    { displayName: 'Okta group', provisionedBy: 'test-scim' },
    { displayName: 'Unrecorded group', provisionedBy: null },
  ]);
  const one = await h.graphql(tenant.tokens.read, 'query($id: ID!) { group(id: $id) { provisionedBy } }', { id: nodes[0].id });
  expect(one.body.data.group.provisionedBy).toBe('Entra production');
  // Renamed token: the current name. Another tenant never sees the name (the group itself is invisible there).
  await h.dataSource.query(`UPDATE access_tokens SET name = 'Entra (renamed)' WHERE tenant_id = $1 AND name = 'Entra production'`, [tenant.tenant.id]);
  const renamed = await h.graphql(tenant.tokens.read, 'query($id: ID!) { group(id: $id) { provisionedBy } }', { id: nodes[0].id });
  expect(renamed.body.data.group.provisionedBy).toBe('Entra (renamed)');
});
