import { MAX_FILTER_TERMS } from '../src/scim/filter';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/** GET /Users: Okta's lookups and imports, Entra's queries, the filter grammar, paging and projections. */
let h: Harness;
let t: TestTenant;
let other: TestTenant;
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const TOTAL = 57;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('lists');
  other = await h.tenant('lists-other');
  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME,MOBILE_NUMBER,TIME_ZONE}' WHERE id = $1`, [
    t.tenant.id,
  ]);
  for (let i = 0; i < TOTAL; i++) {
    const n = String(i).padStart(2, '0');
    const result = await h.scim('POST', '/Users', t.tokens.scim, {
      ...oktaCreateUser(`user${n}@list.test`),
      externalId: `ext-${n}`,
      name: { givenName: `Given${n}`, familyName: i < 10 ? 'Smith' : 'Jones' },
      displayName: i % 3 === 0 ? `Display ${n}` : null,
      ...(i % 5 === 0 ? { phoneNumbers: [{ type: 'mobile', value: `+1415555${String(1000 + i)}` }] } : {}),
      ...(i === 7 ? { timezone: 'Europe/Paris' } : {}),
      active: i % 4 !== 0,
    });
    expect(result.status).toBe(201);
  }
  await h.scim('POST', '/Users', other.tokens.scim, oktaCreateUser('user01@list.test'));
});
afterAll(async () => h?.close());

async function list(query: string, token = t.tokens.scim) {
  return h.scim('GET', `/Users?${query}`, token);
}

function filter(expression: string, extra = ''): string {
  return `filter=${encodeURIComponent(expression)}${extra}`;
}

describe('Okta', () => {
  test('"Test API credentials": GET /Users?startIndex=1&count=2 is a ListResponse', async () => {
    const result = await list('startIndex=1&count=2');
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(result.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: TOTAL,
      startIndex: 1,
      itemsPerPage: 2,
    });
    expect(result.body.Resources).toHaveLength(2);
  });

  test('userName lookup finds the user whatever the case; no match is 200 with totalResults 0', async () => {
    const found = await list(filter('userName eq "USER05@LIST.TEST"', '&startIndex=1&count=100'));
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].userName).toBe('user05@list.test');
    const none = await list(filter('userName eq "nobody@list.test"', '&startIndex=1&count=100'));
    expect(none.status).toBe(200);
    expect(none.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  test('import walk: startIndex += count visits every user exactly once in a stable order, whatever the page size', async () => {
    for (const count of [100, 10, 7, 1]) {
      const seen: string[] = [];
      for (let start = 1; start <= TOTAL; start += count) {
        const page = await list(`startIndex=${start}&count=${count}`);
        expect(page.body.totalResults).toBe(TOTAL);
        expect(page.body.startIndex).toBe(start);
        expect(page.body.itemsPerPage).toBe(Math.min(count, TOTAL - start + 1));
        seen.push(...page.body.Resources.map((u: { id: string }) => u.id));
      }
      expect(seen).toHaveLength(TOTAL);
      expect(new Set(seen).size).toBe(TOTAL);
      // Same order as one big page: the order does not depend on startIndex or count.
      const all = await list(`startIndex=1&count=200`);
      expect(seen).toEqual(all.body.Resources.map((u: { id: string }) => u.id));
    }
  });

  test('a page that jumps (no continuation) gives the same users as walking there', async () => {
    const walked = await list('startIndex=31&count=5');
    const direct = await list('count=5&startIndex=31&attributes=id');
    expect(direct.body.Resources.map((u: { id: string }) => u.id)).toEqual(walked.body.Resources.map((u: { id: string }) => u.id));
  });
});

describe('Entra ID', () => {
  test('"Test connection" with a random GUID: 200 and an empty ListResponse', async () => {
    const result = await list(filter('id eq "7d7e4e5e-8a51-4d8c-9d1f-3d4e6a0b1c2f"'));
    expect(result.status).toBe(200);
    expect(result.body.totalResults).toBe(0);
    const byUserName = await list(filter('userName eq "1f0c2b9a-6a5e-4bb5-a1b2-b3c4d5e6f708"'));
    expect(byUserName.body.totalResults).toBe(0);
  });

  test('externalId eq (case-exact) and "and"', async () => {
    expect((await list(filter('externalId eq "ext-12"'))).body.totalResults).toBe(1);
    expect((await list(filter('externalId eq "EXT-12"'))).body.totalResults).toBe(0);
    expect((await list(filter('externalId eq "ext-12" and userName eq "user12@list.test"'))).body.totalResults).toBe(1);
    expect((await list(filter('externalId eq "ext-12" and userName eq "user13@list.test"'))).body.totalResults).toBe(0);
  });

  test('matching on the work email: emails[type eq "work"].value eq, as Entra encodes it', async () => {
    const ids = async (query: string) => {
      const result = await list(query);
      expect(result.status).toBe(200);
      return result.body.Resources.map((r: { userName: string }) => r.userName);
    };
    // Percent-encoded throughout, and with "+" for spaces and bare brackets: both reach servers from Entra's clients.
    expect(await ids('filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22user07%40list.test%22')).toEqual(['user07@list.test']);
    expect(await ids('filter=emails[type+eq+%22work%22].value+eq+%22User07%40List.Test%22')).toEqual(['user07@list.test']);
    expect(await ids('filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22nobody%40list.test%22')).toEqual([]);
    expect(await ids('filter=emails%5Btype%20eq%20%22home%22%5D.value%20eq%20%22user07%40list.test%22')).toEqual([]);
  });

  test('matching on the work email finds live people of the tenant only, whatever the case or Unicode form', async () => {
    const mail = await h.tenant('lists-mail');
    const create = async (userName: string, email: string) => {
      const result = await h.scim('POST', '/Users', mail.tokens.scim, oktaCreateUser(userName, { emails: [{ primary: true, type: 'work', value: email }] }));
      expect(result.status).toBe(201);
      return result.body.id as string;
    };
    const gone = await create('gone@mail.test', 'shared@mail.test');
    expect((await h.scim('DELETE', `/Users/${gone}`, mail.tokens.scim)).status).toBe(204);
    const kept = await create('kept@mail.test', 'Shared@Mail.test');
    const accented = await create('jose@mail.test', 'jos\u00e9@mail.test');
    const elsewhere = await h.scim('POST', '/Users', other.tokens.scim, oktaCreateUser('elsewhere@mail.test', { emails: [{ primary: true, type: 'work', value: 'shared@mail.test' }] }));
    expect(elsewhere.status).toBe(201);
    const found = async (email: string) => {
      const result = await h.scim('GET', `/Users?${filter(`emails[type eq "work"].value eq "${email}"`)}`, mail.tokens.scim);
      expect(result.status).toBe(200);
      expect(result.body.totalResults).toBe(result.body.Resources.length);
      return result.body.Resources.map((r: { id: string }) => r.id);
    };
    expect(await found('SHARED@mail.test')).toEqual([kept]);
    expect(await found('jose\u0301@MAIL.test')).toEqual([accented]);
    expect(await found('jose@mail.test')).toEqual([]);
  });
});

describe('filter grammar', () => {
  test.each([
    ['name.familyName eq "smith"', 10],
    ['name.familyName ne "Smith"', TOTAL - 10],
    ['userName sw "user1"', 10],
    ['userName ew "9@list.test"', 5],
    ['userName co "ER3"', 10],
    ['displayName pr', 19],
    ['not (displayName pr)', TOTAL - 19],
    ['active eq false', 15],
    ['active eq true and name.familyName eq "Smith"', 7],
    ['name.familyName eq "Smith" or userName eq "user50@list.test"', 11],
    ['(userName eq "user01@list.test" or userName eq "user02@list.test") and active eq true', 2],
    ['userName eq "user01@list.test" or userName eq "user02@list.test" and active eq false', 1],
    ['emails[type eq "work" and value co "user2"]', 10],
    ['emails[type eq "home"]', 0],
    ['emails[type eq "work"].value eq "user07@list.test"', 1],
    ['EMAILS[TYPE eq "WORK"].VALUE EQ "USER07@list.test"', 1],
    ['urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value eq "user07@list.test"', 1],
    ['emails[type eq "home"].value eq "user07@list.test"', 0],
    ['emails[type ne "work"].value eq "user07@list.test"', 0],
    ['emails[primary eq true].value eq "user07@list.test"', 1],
    ['emails[primary eq false].value eq "user07@list.test"', 0],
    ['emails[value eq "user07@list.test"].type eq "work"', 1],
    ['emails[value eq "user07@list.test"].type eq "home"', 0],
    ['emails[type eq "work"].value ne "user07@list.test"', TOTAL - 1],
    ['emails[type eq "work"].value co "user2"', 10],
    ['emails[type eq "work"].value sw "user1"', 10],
    ['emails[type eq "work"].value ew "9@list.test"', 5],
    ['emails[type eq "work"].value gt "user50@list.test"', 6],
    ['emails[type eq "work"].value pr', TOTAL],
    ['emails[type eq "home"].value pr', 0],
    ['not (emails[type eq "work"].value eq "user07@list.test")', TOTAL - 1],
    ['emails[type eq "work"].value eq "user07@list.test" and active eq false', 0],
    ['emails[type eq "work"].value eq "user08@list.test" or emails[type eq "work"].value eq "user09@list.test"', 2],
    ['phoneNumbers[type eq "mobile"].value eq "+14155551005"', 1],
    ['phoneNumbers[type eq "work"].value eq "+14155551005"', 0],
    ['phoneNumbers[type eq "mobile"].value eq "+14155551006"', 0],
    ['phoneNumbers[type eq "mobile"].value sw "+1415555100"', 2],
    ['phoneNumbers[type eq "mobile"].value pr', 12],
    ['emails.value eq "USER03@list.test"', 1],
    ['phoneNumbers[type eq "mobile"]', 12],
    ['phoneNumbers pr', 12],
    ['timezone eq "europe/paris"', 1],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user04@list.test"', 1],
    [`${EXT}:primaryRole eq "agent"`, TOTAL],
    ['meta.created gt "2000-01-01T00:00:00Z"', TOTAL],
    ['meta.lastModified lt "2000-01-01T00:00:00Z"', 0],
    ['USERNAME EQ "user04@list.test"', 1],
    ['userName gt "user50@list.test"', 6],
    ['userName eq "x" or not (userName ne "user06@list.test")', 1],
    ['userName co "%"', 0],
    ['userName co "_"', 0],
    ["userName eq \"x' OR '1'='1\"", 0],
  ])('%s -> %i', async (expression, expected) => {
    const result = await list(filter(expression, '&count=200'));
    expect(result.status).toBe(200);
    expect(result.body.totalResults).toBe(expected);
    expect(result.body.Resources).toHaveLength(expected);
  });

  test.each([
    'userName',
    'userName eq',
    'userName xx "a"',
    'nosuchattr eq "a"',
    'userName eq "unterminated',
    '(userName eq "a"',
    'userName eq "a")',
    'active eq "maybe"',
    'userName eq 5',
    'emails[type eq "work"',
    'emails[type eq "work"].value',
    'emails[type eq "work"].value eq',
    'emails[type eq "work"].value eq 5',
    'emails[type eq "work"].value.x eq "a"',
    'emails[type eq "work"]. eq "a"',
    'emails[type eq "work"] .value eq "a"',
    'emails[type eq "work"].value[type eq "work"]',
    'name[givenName eq "x"].familyName eq "y"',
    'meta.created gt "yesterday"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"',
    `${'('.repeat(40)}userName eq "a"${')'.repeat(40)}`,
    `userName eq "${'a'.repeat(5000)}"`,
  ])('invalid filter #%#: 400 invalidFilter', async (expression) => {
    const result = await list(filter(expression));
    expect(result.status).toBe(400);
    expect(result.body.scimType).toBe('invalidFilter');
    expect(result.body.status).toBe('400');
    expect(result.body.detail).not.toMatch(/syntax error at or near|relation|column/i);
  });

  test('an RFC 7643 sub-attribute Rollcall does not keep matches nobody; an unknown one is refused naming what can be filtered', async () => {
    for (const expression of ['emails[type eq "work"].display eq "x"', 'emails.display eq "x"', 'emails[display eq "x"]', 'phoneNumbers[primary eq true].value pr']) {
      const result = await list(filter(expression));
      expect({ expression, status: result.status, total: result.body.totalResults }).toEqual({ expression, status: 200, total: 0 });
    }
    for (const expression of ['emails[type eq "work"].label eq "x"', 'emails.label eq "x"', 'emails[label eq "x"]']) {
      const result = await list(filter(expression));
      expect(result.status).toBe(400);
      expect(result.body.scimType).toBe('invalidFilter');
      expect(result.body.detail).toBe('Unknown or unfilterable attribute "emails.label" in the filter; emails can be filtered on value, type, primary, display.');
    }
  });

  test('the comparison after a value filter counts toward the limit on comparisons, as inside the brackets', async () => {
    // `emails[...]` is one comparison, as in `emails[type eq "work" and value eq "x"]`, and so is `.value eq "a"`.
    const inner = (n: number) => Array.from({ length: n }, () => 'value eq "a"').join(' or ');
    const at = await list(filter(`emails[${inner(MAX_FILTER_TERMS - 2)}].value eq "a"`));
    expect(at.status).toBe(200);
    expect(at.body.totalResults).toBe(0);
    const over = await list(filter(`emails[${inner(MAX_FILTER_TERMS - 1)}].value eq "a"`));
    expect(over.status).toBe(400);
    expect(over.body.detail).toMatch(/more than 100 comparisons/);
  });
});

describe('paging parameters and projections', () => {
  test('count=0 returns only the total; count is capped at maxResults; negative count is 0; startIndex < 1 is 1', async () => {
    const zero = await list('count=0');
    expect(zero.body).toMatchObject({ totalResults: TOTAL, itemsPerPage: 0, Resources: [] });
    const capped = await list('count=100000');
    expect(capped.body.itemsPerPage).toBe(TOTAL);
    const negative = await list('count=-5');
    expect(negative.body.itemsPerPage).toBe(0);
    const start = await list('startIndex=-3&count=1');
    expect(start.body.startIndex).toBe(1);
    const beyond = await list('startIndex=1000&count=10');
    expect(beyond.body).toMatchObject({ totalResults: TOTAL, itemsPerPage: 0, Resources: [] });
    expect((await list('count=abc')).status).toBe(400);
  });

  test('sortBy and sortOrder', async () => {
    const desc = await list('sortBy=userName&sortOrder=descending&count=3');
    expect(desc.body.Resources.map((u: { userName: string }) => u.userName)).toEqual([
      'user56@list.test',
      'user55@list.test',
      'user54@list.test',
    ]);
    const byFamily = await list('sortBy=name.familyName&count=200');
    const families = byFamily.body.Resources.map((u: { name: { familyName: string } }) => u.name.familyName);
    expect(families).toEqual([...families].sort());
    expect((await list('sortBy=password')).body.scimType).toBe('invalidValue');
    // Walking a sorted list by pages gives the same order as one page.
    const walked: string[] = [];
    for (let start = 1; start <= TOTAL; start += 20) {
      walked.push(...(await list(`sortBy=userName&sortOrder=descending&startIndex=${start}&count=20`)).body.Resources.map((u: { id: string }) => u.id));
    }
    const one = await list('sortBy=userName&sortOrder=descending&count=200');
    expect(walked).toEqual(one.body.Resources.map((u: { id: string }) => u.id));
  });

  test('sortBy naming a member of Object.prototype is 400 invalidValue like any unknown attribute', async () => {
    for (const sortBy of ['constructor', 'toString', '__proto__']) {
      expect({ sortBy, ...(await list(`sortBy=${sortBy}`)).body }).toMatchObject({ sortBy, status: '400', scimType: 'invalidValue' });
      const groups = await h.scim('GET', `/Groups?sortBy=${sortBy}`, t.tokens.scim);
      expect({ sortBy, ...groups.body }).toMatchObject({ sortBy, status: '400', scimType: 'invalidValue' });
    }
  });

  test('attributes and excludedAttributes', async () => {
    const only = await list(`${filter('userName eq "user03@list.test"')}&attributes=userName,name.givenName`);
    expect(only.body.Resources[0]).toEqual({
      schemas: expect.any(Array),
      id: expect.any(String),
      userName: 'user03@list.test',
      name: { givenName: 'Given03' },
    });
    const without = await list(`${filter('userName eq "user03@list.test"')}&excludedAttributes=emails,meta,name.familyName`);
    const user = without.body.Resources[0];
    expect(user.emails).toBeUndefined();
    expect(user.meta).toBeUndefined();
    expect(user.name).toEqual({ givenName: 'Given03', formatted: 'Given03 Smith' });
    expect(user.id).toBeDefined();
    const ext = await list(`${filter('userName eq "user03@list.test"')}&attributes=${EXT}:primaryRole`);
    expect(ext.body.Resources[0][EXT]).toEqual({ primaryRole: 'Agent' });
    const one = await h.scim('GET', `/Users/${user.id}?attributes=userName`, t.tokens.scim);
    expect(Object.keys(one.body).sort()).toEqual(['id', 'schemas', 'userName']);
  });

  test("another tenant's users are never listed", async () => {
    const result = await list(filter('userName eq "user01@list.test"'), other.tokens.scim);
    expect(result.body.totalResults).toBe(1);
    const mine = await list(filter('userName eq "user01@list.test"'));
    expect(result.body.Resources[0].id).not.toBe(mine.body.Resources[0].id);
  });
});
