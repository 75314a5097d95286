import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * Paging that stays right while the directory changes (issue 15, item 6): every page of GET /Users equals what a
 * fresh OFFSET query gives on the data as it is when the request arrives, whatever was remembered from earlier pages,
 * and an import walk that runs while people are created sees each of them once, the new ones at its end.
 * The oracle is plain SQL on the database, so no cache of the server can agree with itself by accident.
 */
let h: Harness;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h?.close());

type Order = 'default' | 'userName' | 'userNameDesc';

const ORDER_QUERY: Record<Order, string> = {
  default: '',
  userName: '&sortBy=userName',
  userNameDesc: '&sortBy=userName&sortOrder=descending',
};
const ORDER_SQL: Record<Order, string> = {
  default: 'created_at, id',
  userName: 'username, id',
  userNameDesc: 'username DESC, id DESC',
};

/** The ids a fresh OFFSET query gives for this page, and the total. */
async function offsetPage(t: TestTenant, order: Order, startIndex: number, count: number): Promise<{ ids: string[]; total: number }> {
  const rows: { id: string }[] = await h.dataSource.query(
    `SELECT id FROM employees WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY ${ORDER_SQL[order]} OFFSET $2 LIMIT $3`,
    [t.tenant.id, startIndex - 1, count],
  );
  const [{ n }]: { n: number }[] = await h.dataSource.query(
    'SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1 AND deleted_at IS NULL',
    [t.tenant.id],
  );
  return { ids: rows.map((r) => r.id), total: n };
}

async function page(t: TestTenant, order: Order, startIndex: number, count: number): Promise<{ ids: string[]; total: number }> {
  const result = await h.scim('GET', `/Users?startIndex=${startIndex}&count=${count}&attributes=userName${ORDER_QUERY[order]}`, t.tokens.scim);
  expect(result.status).toBe(200);
  return { ids: result.body.Resources.map((u: { id: string }) => u.id), total: result.body.totalResults };
}

async function createUser(t: TestTenant, userName: string): Promise<string> {
  const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName));
  expect(result.status).toBe(201);
  return result.body.id;
}

test.each([2, 3])('an import walk with count=%i while people are created sees everyone once, the new ones at its end', async (count) => {
  const t = await h.tenant(`walk-${count}`);
  for (let i = 0; i < 7; i++) await createUser(t, `walk${count}-before-${i}@paging.test`);
  const seen: string[] = [];
  let created = 0;
  // Okta's import: pages of `count` until startIndex passes totalResults, as the latest page tells it.
  for (let start = 1, total = 1; start <= total; start += count) {
    // Fewer creates than a page holds, so the walk gains on them and ends.
    for (let k = 0; start > 1 && k < count - 1 && created < 8; k++) {
      await createUser(t, `walk${count}-during-${created}@paging.test`);
      created++;
    }
    const served = await page(t, 'default', start, count);
    seen.push(...served.ids);
    total = served.total;
  }
  const all = await offsetPage(t, 'default', 1, 1000);
  expect(created).toBeGreaterThanOrEqual(5);
  expect(all.total).toBe(7 + created);
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen).toEqual(all.ids);
});

test('GET /Groups defaults to creation order: a walk while groups are created sees each once, the new ones at its end', async () => {
  const t = await h.tenant('group-walk');
  const create = async (displayName: string) => {
    const result = await h.scim('POST', '/Groups', t.tokens.scim, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName });
    expect(result.status).toBe(201);
    return result.body.id as string;
  };
  // Names that sort before the earlier ones, so that an order by name would put each new group inside the walked part.
  const created: string[] = [];
  const names = ['Zulu', 'Yankee', 'X-ray', 'Whiskey', 'Victor', 'Uniform'];
  for (const name of names) created.push(await create(name));
  const seen: string[] = [];
  const later = ['Tango', 'Sierra', 'Romeo', 'Quebec', 'Papa'];
  for (let start = 1, total = 1; start <= total; start += 2) {
    const name = start > 1 ? later.shift() : undefined;
    if (name) {
      created.push(await create(name));
      names.push(name);
    }
    const result = await h.scim('GET', `/Groups?startIndex=${start}&count=2&excludedAttributes=members`, t.tokens.scim);
    seen.push(...result.body.Resources.map((g: { id: string }) => g.id));
    total = result.body.totalResults;
  }
  expect(later.length).toBeLessThanOrEqual(2);
  expect(seen).toEqual(created);
  // An explicit sortBy still decides.
  const byName = await h.scim('GET', '/Groups?sortBy=displayName&count=3&excludedAttributes=members', t.tokens.scim);
  expect(byName.body.Resources.map((g: { displayName: string }) => g.displayName)).toEqual(names.sort().slice(0, 3));
});
