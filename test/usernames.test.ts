import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { usernameCharacterProblem, usernameKey } from '../src/services/username-key';

/**
 * Look-alike usernames (issue 17, point 3): usernames are compared by one canonical key computed in Rollcall (PRECIS
 * UsernameCaseMapped: width mapping, case folding, NFC), never by the database's locale, and invisible or
 * text-direction characters are refused. A look-alike of an existing username is the same username (409), never a
 * second person; an IdP's lookup finds the person whose username it names, never a different one.
 */
let h: Harness;
let t: TestTenant;

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u00AD', '\u034F', '\uFE0F', '\u202E'];
const CREATE = `mutation($input: CreateEmployeeInput!) {
  createEmployee(input: $input) { employee { id username } userErrors { code field message } }
}`;

beforeAll(async () => {
  h = await Harness.start({ RATE_LIMIT_PER_SECOND: '0' });
  t = await h.tenant('lookalike');
  for (const userName of ['josex@example.com', 'file@example.com']) {
    expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName))).status).toBe(201);
  }
});
afterAll(async () => h?.close());

async function count(): Promise<number> {
  const [row] = await h.dataSource.query('SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1', [t.tenant.id]);
  return row.n;
}
const lookup = async (userName: string) =>
  (await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, t.tokens.scim)).body;

describe('the canonical key', () => {
  test('maps width, folds case (fully) and composes; keeps what differs', () => {
    expect(usernameKey('ｊｏｓｅｘ@example.com')).toBe('josex@example.com');
    expect(usernameKey('ＪＯＳＥＸ@ＥＸＡＭＰＬＥ.ＣＯＭ')).toBe('josex@example.com');
    expect(usernameKey('ﬁle@example.com')).toBe('file@example.com');
    expect(usernameKey('Straße@example.com')).toBe(usernameKey('STRASSE@example.com'));
    expect(usernameKey('Jose\u0301@example.com')).toBe(usernameKey('josé@example.com'));
    expect(usernameKey('  Ada@Example.com ')).toBe('ada@example.com');
    // Turkish dotted capital I folds to i + U+0307, not to i: ADMİN is not admin (the database's locale says it is).
    expect(usernameKey('ADMİN@example.com')).not.toBe(usernameKey('admin@example.com'));
    // Dotless ı is a letter of its own, not i.
    expect(usernameKey('admın@example.com')).not.toBe(usernameKey('admin@example.com'));
  });

  test('refuses invisible and text-direction characters, naming the code point', () => {
    for (const char of INVISIBLE) {
      const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      expect(usernameCharacterProblem(`jose${char}x@example.com`)).toMatch(new RegExp(`U\\+${code}`));
    }
    expect(usernameCharacterProblem('Ada Lovelace')).toBeUndefined();
    expect(usernameCharacterProblem('josé@example.com')).toBeUndefined();
  });
});

describe('SCIM', () => {
  test('a fullwidth or ligature look-alike of an existing username is the same username: 409, nobody created', async () => {
    const before = await count();
    for (const userName of ['ｊｏｓｅｘ@example.com', 'ＪＯＳＥＸ@example.com', 'ﬁle@example.com', 'FILE@EXAMPLE.COM']) {
      const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName));
      expect({ userName, status: result.status, scimType: result.body.scimType }).toEqual({ userName, status: 409, scimType: 'uniqueness' });
      expect(result.body.schemas).toEqual([ERROR_SCHEMA]);
    }
    expect(await count()).toBe(before);
  });

  test('a username with an invisible or text-direction character inside: 400 naming it, nobody created', async () => {
    const before = await count();
    for (const char of INVISIBLE) {
      const result = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(`jose${char}x@example.com`));
      expect(result.status).toBe(400);
      expect(result.body.scimType).toBe('invalidValue');
      expect(result.body.detail).toMatch(/U\+[0-9A-F]{4}.*invisible or text-direction/);
    }
    // The ANY format refuses them too.
    await h.dataSource.query(`UPDATE tenants SET username_format = 'ANY' WHERE id = $1`, [t.tenant.id]);
    try {
      expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('jose\u200Bx'))).status).toBe(400);
    } finally {
      await h.dataSource.query(`UPDATE tenants SET username_format = 'EMAIL' WHERE id = $1`, [t.tenant.id]);
    }
    expect(await count()).toBe(before);
  });

  test('a lookup by a look-alike spelling finds the person whose username it is', async () => {
    for (const spelling of ['josex@example.com', 'JOSEX@EXAMPLE.COM', 'ｊｏｓｅｘ@example.com']) {
      const list = await lookup(spelling);
      expect({ spelling, total: list.totalResults, userName: list.Resources[0]?.userName }).toEqual({
        spelling,
        total: 1,
        userName: 'josex@example.com',
      });
    }
  });

  test('ADMİN and admin are two people, and each lookup finds its own (never the locale-equal other)', async () => {
    const upper = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('ADMİN@example.com'));
    expect(upper.status).toBe(201);
    const lower = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('admin@example.com'));
    expect(lower.status).toBe(201);
    expect((await lookup('admin@example.com')).Resources.map((u: any) => u.id)).toEqual([lower.body.id]);
    expect((await lookup('ADMIN@example.com')).Resources.map((u: any) => u.id)).toEqual([lower.body.id]);
    expect((await lookup('ADMİN@example.com')).Resources.map((u: any) => u.id)).toEqual([upper.body.id]);
    expect((await lookup('admi\u0307n@example.com')).Resources.map((u: any) => u.id)).toEqual([upper.body.id]);
    // The same through the general filter path (a second page, a compound filter).
    const compound = await h.scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "admin@example.com" and active eq true')}`,
      t.tokens.scim,
    );
    expect(compound.body.Resources.map((u: any) => u.id)).toEqual([lower.body.id]);
    const starts = await h.scim('GET', `/Users?filter=${encodeURIComponent('userName sw "ＡＤＭＩＮ@"')}`, t.tokens.scim);
    expect(starts.body.Resources.map((u: any) => u.id)).toEqual([lower.body.id]);
  });

  test('renaming to a look-alike of another person is refused; a change of case of one’s own username is kept', async () => {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('rename.me@example.com'));
    const id = created.body.id;
    const taken = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, oktaCreateUser('ｆｉｌｅ@example.com'));
    expect(taken.status).toBe(409);
    const patch = await h.scim('PATCH', `/Users/${id}`, t.tokens.scim, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'userName', value: 'JOSEX@example.com' }],
    });
    expect(patch.status).toBe(409);
    // Both refusals left the row as it was.
    const [kept] = await h.dataSource.query('SELECT username, username_key, version FROM employees WHERE tenant_id = $1 AND id = $2', [t.tenant.id, id]);
    expect(kept).toEqual({ username: 'rename.me@example.com', username_key: 'rename.me@example.com', version: 1 });
    const recased = await h.scim('PUT', `/Users/${id}`, t.tokens.scim, oktaCreateUser('Rename.Me@Example.com'));
    expect(recased.status).toBe(200);
    expect(recased.body.userName).toBe('Rename.Me@Example.com');
    expect((await lookup('rename.me@example.com')).Resources.map((u: any) => u.id)).toEqual([id]);
    const [row] = await h.dataSource.query('SELECT username_key FROM employees WHERE tenant_id = $1 AND id = $2', [t.tenant.id, id]);
    expect(row.username_key).toBe('rename.me@example.com');
  });

  test('concurrent creates of look-alikes (one batched statement): exactly one 201', async () => {
    const spellings = ['race@example.com', 'RACE@example.com', 'ｒａｃｅ@example.com', 'ＲＡＣＥ@example.com'];
    const results = await Promise.all(spellings.map((userName) => h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName))));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
  });
});

describe('GraphQL', () => {
  test('createEmployee: a look-alike is UNIQUENESS, an invisible character INVALID_VALUE; nothing created', async () => {
    const before = await count();
    const base = { firstName: 'Look', lastName: 'Alike' };
    const same = await h.graphql(t.tokens.admin, CREATE, { input: { ...base, username: 'ｊｏｓｅｘ@example.com', email: 'x@example.com' } });
    expect(same.body.data.createEmployee).toMatchObject({ employee: null, userErrors: [{ code: 'UNIQUENESS', field: ['input', 'username'] }] });
    const hidden = await h.graphql(t.tokens.admin, CREATE, { input: { ...base, username: 'jo\u200Bsex@example.com', email: 'x@example.com' } });
    expect(hidden.body.data.createEmployee.employee).toBeNull();
    expect(hidden.body.data.createEmployee.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'username'], message: expect.stringMatching(/U\+200B/) }),
    ]);
    expect(await count()).toBe(before);
  });

  test('search finds a username by its key; order by username follows the key', async () => {
    const search = async (term: string) =>
      (await h.graphql(t.tokens.admin, 'query($s: String) { employees(search: $s, first: 50) { nodes { username } } }', { s: term })).body.data
        .employees.nodes.map((n: { username: string }) => n.username);
    expect(await search('ＪＯＳＥＸ')).toEqual(['josex@example.com']);
    expect(await search('josex')).toEqual(['josex@example.com']);
    const ordered = await h.graphql(t.tokens.admin, '{ employees(first: 100, orderBy: { field: USERNAME, direction: ASC }) { nodes { username } } }');
    const names: string[] = ordered.body.data.employees.nodes.map((n: { username: string }) => n.username);
    const keys = names.map(usernameKey);
    expect(keys).toEqual([...keys].sort());
  });
});
