import http from 'node:http';
import fc from 'fast-check';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS } from '../src/scim/filter';
import { SCIM_MAX_RESULTS } from '../src/scim/discovery';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from '../src/http/json-depth';
import { Harness, HttpResult, TestTenant, oktaCreateUser } from './support/harness';
import { snapshotTenant } from './support/snapshot';

/**
 * Hostile input on both surfaces, each limit with the request that crosses it: nesting, sizes, filters, paging
 * parameters, Authorization headers, Unicode usernames, prototype keys, SQL and LIKE metacharacters. Every refusal
 * is a clear 4xx in the surface's own error format and leaves the tenant's rows exactly as they were. The
 * property-based part (GraphQL; the SCIM side is test/scim-fuzz.test.ts) sends thousands of generated searches
 * and mutation inputs.
 */
let h: Harness;
let t: TestTenant;
let victimId: string;

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const DB_ERROR_TEXT = /syntax error|violates|relation "|column "|duplicate key|invalid input syntax|SQLSTATE|QueryFailedError|TypeError|\bat [\w.]+ \(|stack/i;
/** What may change on any request: the provisioning log records refused SCIM requests, tokens their last use. */
const VOLATILE = { tables: ['provisioning_events'], columns: { access_tokens: ['last_used_at'] } };
const snapshot = () => snapshotTenant(h, t.tenant.id, VOLATILE);

beforeAll(async () => {
  h = await Harness.start({ RATE_LIMIT_PER_SECOND: '0' });
  t = await h.tenant('hostile');
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('victim@hostile.example'));
  expect(created.status).toBe(201);
  victimId = created.body.id;
});
afterAll(async () => h?.close());

function scimRaw(method: string, path: string, rawBody: string): Promise<HttpResult> {
  return h.request(method, `/scim/v2${path}`, { token: t.tokens.scim, rawBody, headers: { 'Content-Type': 'application/scim+json' } });
}
function graphqlRaw(rawBody: string, token = t.tokens.admin): Promise<HttpResult> {
  return h.request('POST', '/graphql', { token, rawBody, headers: { 'Content-Type': 'application/json' } });
}
function expectScimError(result: HttpResult, status: number, scimType?: string, detail?: RegExp): void {
  expect({ status: result.status, body: result.body }).toMatchObject({
    status,
    body: { schemas: [SCIM_ERROR], status: String(status), ...(scimType ? { scimType } : {}) },
  });
  if (detail) expect(result.body.detail).toMatch(detail);
}
function expectGraphqlError(result: HttpResult, status: number, code: string, message?: RegExp): void {
  expect(result.status).toBe(status);
  expect(result.body.errors?.[0]?.extensions?.code).toBe(code);
  if (message) expect(result.body.errors[0].message).toMatch(message);
}

/** Sends a request with raw header bytes (fetch refuses non-ASCII header values; IdPs and attackers do not). */
function rawHttp(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(h.baseUrl + path);
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
    });
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

describe('JSON nesting limit', () => {
  const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

  test('the scanner counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan(Buffer.from(arrays(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonNestsDeeperThan(Buffer.from(arrays(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(jsonNestsDeeperThan(Buffer.from(objects(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(jsonNestsDeeperThan(Buffer.from(JSON.stringify({ s: '[[[[{{{{'.repeat(100), t: 'a\\"[[[['.repeat(50) })))).toBe(false);
  });

  test('SCIM: 10,000 levels in a User, a PATCH or a Group body are refused with 400 invalidSyntax; nothing changes', async () => {
    const before = await snapshot();
    const user = JSON.stringify(oktaCreateUser('deep@hostile.example')).slice(0, -1);
    const requests: [string, string, string][] = [
      ['POST', '/Users', `${user},"x":${arrays(10_000)}}`],
      ['POST', '/Users', objects(10_000)],
      ['PUT', `/Users/${victimId}`, `${user},"name":${objects(10_000)}}`],
      ['PATCH', `/Users/${victimId}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"displayName","value":${arrays(10_000)}}]}`],
      ['POST', '/Groups', `{"schemas":["${GROUP_SCHEMA}"],"displayName":"Deep","members":${arrays(10_000)}}`],
    ];
    for (const [method, path, body] of requests) {
      expectScimError(await scimRaw(method, path, body), 400, 'invalidSyntax', new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
    }
    expect(await snapshot()).toEqual(before);
  });

  test('a real SCIM body with brackets inside its strings is not mistaken for nesting', async () => {
    const name = { givenName: '[{'.repeat(50), familyName: '{"a":[['.repeat(20) };
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('brackets@hostile.example', { name }));
    expect(created.status).toBe(201);
    expect(created.body.name).toMatchObject(name);
  });

  test('GraphQL: 10,000 levels in the variables are refused with 400 BAD_REQUEST; nothing changes', async () => {
    const before = await snapshot();
    for (const variables of [`{"id":${arrays(10_000)}}`, `{"input":${objects(10_000)}}`]) {
      const result = await graphqlRaw(`{"query":"mutation($input: CreateRoleInput!) { createRole(input: $input) { role { id } } }","variables":${variables}}`);
      expectGraphqlError(result, 400, 'BAD_REQUEST', new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
    }
    expect(await snapshot()).toEqual(before);
  });

  test('GraphQL: a variable of the wrong shape is BAD_USER_INPUT (400), not an internal error', async () => {
    const result = await h.graphql(t.tokens.admin, 'query($id: ID!) { employee(id: $id) { id } }', { id: [[['x']]] });
    expectGraphqlError(result, 400, 'BAD_USER_INPUT', /ID cannot represent/);
  });
});

describe('body size limit', () => {
  test('SCIM over 1 MB: 413 SCIM error; GraphQL over 1 MB: 413 GraphQL error; nothing changes', async () => {
    const before = await snapshot();
    const huge = 'x'.repeat(1_100_000);
    expectScimError(await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('big@hostile.example', { displayName: huge })), 413);
    expectGraphqlError(await graphqlRaw(JSON.stringify({ query: '{ viewer { scope } }', variables: { x: huge } })), 413, 'BAD_REQUEST', /larger than 1mb/);
    expectGraphqlError(await graphqlRaw('{"query":'), 400, 'BAD_REQUEST', /not valid JSON/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('filter limits', () => {
  const list = (filter: string) => h.scim('GET', `/Users?count=1&filter=${encodeURIComponent(filter)}`, t.tokens.scim);
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `userName eq "u${i}@x.example"`).join(' or ');

  test(`longer than ${MAX_FILTER_LENGTH} characters, nested deeper than ${MAX_FILTER_DEPTH}, more than ${MAX_FILTER_TERMS} comparisons: 400 invalidFilter`, async () => {
    expectScimError(await list(`userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`), 400, 'invalidFilter', /longer than 4096 characters/);
    expectScimError(await list(`${'('.repeat(MAX_FILTER_DEPTH + 1)}id pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`), 400, 'invalidFilter', /deeper than 32 levels/);
    expectScimError(await list(`${'not ('.repeat(MAX_FILTER_DEPTH + 1)}id pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`), 400, 'invalidFilter', /deeper than 32/);
    expectScimError(await list(terms(MAX_FILTER_TERMS + 1)), 400, 'invalidFilter', /more than 100 comparisons/);
    expectScimError(await list(`emails[${terms(MAX_FILTER_TERMS + 1)}]`), 400, 'invalidFilter', /more than 100 comparisons/);
    expectScimError(
      await h.scim('GET', `/Groups?filter=${encodeURIComponent(terms(MAX_FILTER_TERMS + 1).replace(/userName/g, 'displayName'))}`, t.tokens.scim),
      400,
      'invalidFilter',
    );
  });

  test('at the limits the filter still works', async () => {
    expect((await list(`${'('.repeat(MAX_FILTER_DEPTH - 1)}userName eq "victim@hostile.example"${')'.repeat(MAX_FILTER_DEPTH - 1)}`)).body.totalResults).toBe(1);
    expect((await list(`${terms(MAX_FILTER_TERMS - 1)} or userName eq "victim@hostile.example"`)).body.totalResults).toBe(1);
  });

  test('a filter too long for the URL gets a SCIM error from the HTTP layer (431), never a dropped connection', async () => {
    expectScimError(await list(`userName eq "${'a'.repeat(20_000)}"`), 431, 'tooMany');
  });
});

describe('count and startIndex (RFC 7644 §3.4.2.4)', () => {
  const page = (query: string, resource = 'Users') => h.scim('GET', `/${resource}?${query}`, t.tokens.scim);
  const total = async () => (await page('count=0')).body.totalResults as number;

  test('negative count is 0, huge count clamps to the maximum, startIndex below 1 is 1, huge startIndex is past the end', async () => {
    const all = await total();
    expect(all).toBeGreaterThanOrEqual(2);
    expect((await page('count=-5')).body).toMatchObject({ totalResults: all, itemsPerPage: 0, Resources: [] });
    expect((await page('count=-99999999999999999999999')).body).toMatchObject({ totalResults: all, itemsPerPage: 0 });
    const huge = await page('count=99999999999999999999999999999');
    expect(huge.status).toBe(200);
    expect(huge.body.itemsPerPage).toBe(Math.min(all, SCIM_MAX_RESULTS));
    for (const start of ['0', '-3', '-99999999999999999999999']) {
      expect((await page(`startIndex=${start}&count=1`)).body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
    }
    for (const start of ['9007199254740991', '99999999999999999999999999']) {
      for (const resource of ['Users', 'Groups']) {
        const past = await page(`startIndex=${start}&count=10`, resource);
        expect(past.status).toBe(200);
        expect(past.body).toMatchObject({ itemsPerPage: 0, Resources: [] });
      }
    }
  });

  test('non-numeric values: 400 invalidValue naming the parameter', async () => {
    for (const query of ['count=abc', 'count=1.5', 'count=1e3', 'count=0x10', 'startIndex=one', 'startIndex=1%2C2', 'count=%E2%88%9E', 'count=1&count=2']) {
      const name = query.startsWith('count') ? 'count' : 'startIndex';
      expectScimError(await page(query), 400, 'invalidValue', new RegExp(name));
      expectScimError(await page(query, 'Groups'), 400, 'invalidValue', new RegExp(name));
    }
  });
});

describe('malformed percent-encoding in the path', () => {
  test('GET, PUT, PATCH and DELETE of /Users/%E0%A4%A and the like: 400 invalidValue, never a 500; nothing changes', async () => {
    const before = await snapshot();
    for (const path of ['/Users/%E0%A4%A', '/Users/%ZZ', '/Groups/%', '/Schemas/%FF', '/ResourceTypes/%C0']) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
        const body = method === 'PUT' || method === 'PATCH' ? { schemas: [] } : undefined;
        expectScimError(await h.scim(method, path, t.tokens.scim, body), 400, 'invalidValue', /percent-encoded/);
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('garbage Authorization headers', () => {
  const garbage = [
    '',
    'Bearer',
    'Bearer ',
    'bearer    ',
    `Bearer ${'x'.repeat(3000)}`,
    'Basic',
    'Basic !!!not-base64!!!',
    `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
    `Basic ${Buffer.from('user:').toString('base64')}`,
    'Bearer a, Basic b',
    'Bearer a b',
    'Digest username="x", realm="y"',
    'Bearer \u00e9\u00e8\u00ff',
    'Bearer rc_scim_\u00ff\u00fe',
    'Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu',
    '\u0000\u0001',
  ];

  test('each is a 401 with a SCIM error body and WWW-Authenticate on SCIM, UNAUTHENTICATED on GraphQL', async () => {
    for (const authorization of garbage) {
      const scim = await rawHttp('GET', '/scim/v2/Users', { Authorization: authorization }).catch((error: Error) => ({ status: -1, text: error.message }));
      if (scim.status === -1) continue; // Node's client refuses to send a NUL; the server never sees it.
      expect({ authorization, status: scim.status }).toEqual({ authorization, status: 401 });
      expect(JSON.parse(scim.text)).toMatchObject({ schemas: [SCIM_ERROR], status: '401' });
      const graphql = await rawHttp('POST', '/graphql', { Authorization: authorization, 'Content-Type': 'application/json' }, '{"query":"{ viewer { scope } }"}');
      expect({ authorization, status: graphql.status }).toEqual({ authorization, status: 401 });
      expect(JSON.parse(graphql.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  test('a header over 16 KB is a 431 SCIM error from the HTTP layer; a valid token with junk around it is refused', async () => {
    expectScimError(
      await h.request('GET', '/scim/v2/Users', { headers: { Authorization: `Bearer ${'x'.repeat(20_000)}` } }),
      431,
    );
    for (const authorization of [`Bearer ${t.tokens.scim} extra`, `Bearer ${t.tokens.scim}, Basic x`, `Token ${t.tokens.scim}`]) {
      expect((await h.request('GET', '/scim/v2/Users', { headers: { Authorization: authorization } })).status).toBe(401);
    }
  });
});

describe('Unicode usernames', () => {
  const nfd = 'jose\u0301.garci\u0301a@hostile.example';
  const nfc = 'jos\u00e9.garc\u00eda@hostile.example';

  test('NFD and NFC spellings, and other cases, are one username: 409 uniqueness; the filter finds it by either', async () => {
    const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(nfd));
    expect(created.status).toBe(201);
    expect(created.body.userName).toBe(nfc);
    const before = await snapshot();
    for (const userName of [nfc, nfc.toUpperCase(), nfd.toUpperCase(), ` ${nfc} `]) {
      expectScimError(await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName)), 409, 'uniqueness');
    }
    const graphql = await h.graphql(
      t.tokens.admin,
      'mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { code field } } }',
      { input: { username: nfd.toUpperCase(), firstName: 'J', lastName: 'G', email: 'other@hostile.example' } },
    );
    expect(graphql.body.data.createEmployee).toEqual({ employee: null, userErrors: [{ code: 'UNIQUENESS', field: ['input', 'username'] }] });
    expect(await snapshot()).toEqual(before);
    for (const spelling of [nfd, nfc, nfd.toUpperCase()]) {
      const found = await h.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${spelling}"`)}`, t.tokens.scim);
      expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([created.body.id]);
    }
  });
});

describe('prototype keys', () => {
  test('SCIM bodies with __proto__ / constructor / prototype keys: the keys are ignored like any unknown attribute', async () => {
    const user = (userName: string) => JSON.stringify(oktaCreateUser(userName)).slice(1, -1);
    const bodies: [string, string][] = [
      ['/Users', `{"__proto__":{"polluted":true,"userName":"stolen@hostile.example"},${user('proto1@hostile.example')}}`],
      ['/Users', `{${user('proto2@hostile.example')},"name":{"givenName":"P","familyName":"Q","__proto__":{"polluted":true}}}`],
      ['/Users', `{${user('proto3@hostile.example')},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}`],
      ['/Groups', `{"schemas":["${GROUP_SCHEMA}"],"displayName":"Proto","__proto__":{"displayName":"x"},"members":[{"value":"${victimId}","__proto__":{"polluted":true}}]}`],
    ];
    for (const [path, body] of bodies) {
      const created = await scimRaw('POST', path, body);
      expect(created.status).toBe(201);
      expect(created.text).not.toMatch(/polluted|stolen/);
      const table = path === '/Users' ? 'employees' : 'groups';
      const [row] = await h.dataSource.query(`SELECT to_jsonb(t)::text AS r FROM ${table} t WHERE tenant_id = $1 AND id = $2`, [t.tenant.id, created.body.id]);
      expect(row.r).not.toMatch(/polluted|stolen/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('PATCH paths and values with __proto__ / constructor / prototype: 400, no pollution, nothing changes', async () => {
    const before = await snapshot();
    for (const path of ['__proto__', '__proto__.polluted', 'name.__proto__', 'constructor.prototype', 'prototype', 'emails[__proto__ eq "x"].value', 'name.constructor']) {
      for (const op of ['add', 'replace', 'remove']) {
        for (const resource of [`/Users/${victimId}`]) {
          const result = await h.scim('PATCH', resource, t.tokens.scim, { schemas: [PATCH_OP], Operations: [{ op, path, value: { polluted: true } }] });
          expectScimError(result, 400, 'invalidPath');
        }
      }
    }
    for (const body of [
      `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":{"__proto__":{"polluted":true}}}]}`,
      `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"name","value":{"constructor":{"prototype":{"polluted":true}}}}]}`,
      `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","value":{"name":{"givenName":"X","__proto__":{"polluted":true}}}}]}`,
    ]) {
      const result = await scimRaw('PATCH', `/Users/${victimId}`, body);
      expectScimError(result, 400, undefined, /__proto__|constructor/);
      expect(['invalidPath', 'invalidValue']).toContain(result.body.scimType);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(await snapshot()).toEqual(before);
  });

  test('GraphQL variables with __proto__ / constructor keys: 400 BAD_USER_INPUT, no pollution, nothing changes', async () => {
    const before = await snapshot();
    for (const input of ['{"name":"Proto","__proto__":{"polluted":true}}', '{"name":"Proto","constructor":{"prototype":{"polluted":true}}}']) {
      const result = await graphqlRaw(
        `{"query":"mutation($input: CreateRoleInput!) { createRole(input: $input) { role { id } userErrors { code } } }","variables":{"input":${input}}}`,
      );
      expectGraphqlError(result, 400, 'BAD_USER_INPUT', /is not defined by type "CreateRoleInput"/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });
});

describe('SQL and LIKE metacharacters', () => {
  const usernames = ['per%cent@meta.example', 'percent@meta.example', 'under_score@meta.example', 'underXscore@meta.example', "o'brien@meta.example"];
  beforeAll(async () => {
    for (const userName of usernames) expect((await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser(userName))).status).toBe(201);
    for (const displayName of ['100% Team', '100 Team', 'a_b', 'aXb']) {
      expect((await h.scim('POST', '/Groups', t.tokens.scim, { schemas: [GROUP_SCHEMA], displayName })).status).toBe(201);
    }
  });
  const scimNames = async (resource: string, filter: string) => {
    const result = await h.scim('GET', `/${resource}?count=200&filter=${encodeURIComponent(filter)}`, t.tokens.scim);
    expect(result.status).toBe(200);
    return (result.body.Resources as { userName?: string; displayName?: string }[]).map((r) => r.userName ?? r.displayName).sort();
  };

  test('SCIM filters: quotes and comments are values, % _ and \\ match only themselves', async () => {
    expect(await scimNames('Users', `userName eq "x' OR 1=1 --"`)).toEqual([]);
    expect(await scimNames('Users', `userName eq "\\" OR \\"1\\"=\\"1"`)).toEqual([]);
    expect(await scimNames('Users', `userName co "'"`)).toEqual(["o'brien@meta.example"]);
    expect(await scimNames('Users', 'userName co "%"')).toEqual(['per%cent@meta.example']);
    expect(await scimNames('Users', 'userName co "r%c"')).toEqual(['per%cent@meta.example']);
    expect(await scimNames('Users', 'userName co "_"')).toEqual(['under_score@meta.example']);
    expect(await scimNames('Users', 'userName sw "_"')).toEqual([]);
    expect(await scimNames('Users', 'userName ew "%"')).toEqual([]);
    expect(await scimNames('Users', 'userName co "\\\\"')).toEqual([]);
    expect(await scimNames('Users', 'userName sw "\\\\%"')).toEqual([]);
    expect(await scimNames('Users', 'emails.value co "%"')).toEqual(['per%cent@meta.example']);
    expect(await scimNames('Users', 'externalId co "%"')).toEqual([]);
    expect(await scimNames('Groups', 'displayName co "%"')).toEqual(['100% Team']);
    expect(await scimNames('Groups', 'displayName co "_"')).toEqual(['a_b']);
    expect(await scimNames('Groups', 'displayName sw "a_"')).toEqual(['a_b']);
  });

  test('GraphQL search: % _ \\ and quotes match only themselves', async () => {
    const search = async (term: string) => {
      const result = await h.graphql(
        t.tokens.read,
        'query($s: String) { employees(search: $s, first: 100) { totalCount nodes { username } } groups(search: $s, first: 100) { totalCount nodes { displayName } } }',
        { s: term },
      );
      expect(result.body.errors).toBeUndefined();
      const { employees, groups } = result.body.data;
      expect(employees.totalCount).toBe(employees.nodes.length);
      // Only this block's rows count: other tests in this file create names with quotes and brackets.
      const ours = new Set(['100% Team', '100 Team', 'a_b', 'aXb']);
      return {
        employees: employees.nodes.map((n: { username: string }) => n.username).filter((u: string) => u.endsWith('@meta.example')).sort(),
        groups: groups.nodes.map((n: { displayName: string }) => n.displayName).filter((d: string) => ours.has(d)).sort(),
      };
    };
    expect(await search('%')).toEqual({ employees: ['per%cent@meta.example'], groups: ['100% Team'] });
    expect(await search('_')).toEqual({ employees: ['under_score@meta.example'], groups: ['a_b'] });
    expect(await search('\\')).toEqual({ employees: [], groups: [] });
    expect(await search("'")).toEqual({ employees: ["o'brien@meta.example"], groups: [] });
    expect(await search('"')).toEqual({ employees: [], groups: [] });
    expect(await search("x' OR '1'='1")).toEqual({ employees: [], groups: [] });
    expect(await search('%%')).toEqual({ employees: [], groups: [] });
  });
});

describe('property-based GraphQL input', () => {
  const CONCURRENCY = 4;
  const metacharacters = fc.constantFrom('%', '_', '\\', "'", '"', '--', ';', '/*', '*/', '$1', '::', '\u0000', '\u202e', 'é', 'e\u0301', '%_\\', "' OR 1=1 --");
  const hostileText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.array(fc.oneof(metacharacters, fc.string({ maxLength: 3 })), { maxLength: 8 }).map((parts) => parts.join('')),
  );

  async function runAll<T>(items: T[], send: (item: T, index: number) => Promise<HttpResult>, check: (item: T, result: HttpResult) => void): Promise<string[]> {
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < items.length) {
          const index = next++;
          const result = await send(items[index], index);
          const describe = `${JSON.stringify(items[index]).slice(0, 200)} -> ${result.status} ${result.text.slice(0, 300)}`;
          if (result.status >= 500) failures.push(describe);
          else if (DB_ERROR_TEXT.test(result.text)) failures.push(`leaks internals: ${describe}`);
          else {
            try {
              check(items[index], result);
            } catch (error) {
              failures.push(`${(error as Error).message.slice(0, 300)}: ${describe}`);
            }
          }
        }
      }),
    );
    return failures;
  }

  test('400 generated search strings: no 500, no database text, and only literal substring matches', async () => {
    const docs: { username: string; text: string }[] = (
      await h.dataSource.query(
        `SELECT username, lower(first_name || ' ' || last_name || ' ' || username || ' ' || email || ' ' || coalesce(display_name, '') || ' ' || coalesce(middle_name, '')) AS text
           FROM employees WHERE tenant_id = $1 AND deleted_at IS NULL`,
        [t.tenant.id],
      )
    ).map((r: { username: string; text: string }) => r);
    const terms = fc.sample(hostileText, { numRuns: 400, seed: 42 });
    const failures = await runAll(
      terms,
      (term) =>
        h.graphql(t.tokens.read, 'query($s: String) { employees(search: $s, first: 100) { nodes { username } } }', { s: term }),
      (term, result) => {
        if (result.status >= 400 || result.body.errors) {
          // Refused input (e.g. a NUL) must be a client error with a code, never a masked internal one.
          expect(result.body.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
          return;
        }
        const trimmed = term.trim();
        // ASCII terms have a case-folding oracle in JS; others are only checked for errors above.
        if (!/^[\x20-\x7e]*$/.test(trimmed)) return;
        const expected = trimmed === '' ? docs.map((d) => d.username) : docs.filter((d) => d.text.includes(trimmed.toLowerCase())).map((d) => d.username);
        const got = result.body.data.employees.nodes.map((n: { username: string }) => n.username);
        expect(got.sort()).toEqual(expected.sort());
      },
    );
    expect(failures).toEqual([]);
  }, 60_000);

  test('400 generated mutation inputs: no 500, no database text, refused ones change nothing', async () => {
    const target = await h.graphql(t.tokens.read, '{ employees(search: "victim@hostile.example") { nodes { id } } }');
    const employeeId = target.body.data.employees.nodes[0].id;
    type Mutation = { query: string; input: Record<string, unknown> };
    const mutation = fc.oneof(
      fc.record({ name: hostileText, description: fc.option(hostileText) }).map((input) => ({
        query: 'mutation($input: CreateRoleInput!) { createRole(input: $input) { role { id } userErrors { code field } } }',
        input,
      })),
      fc.record({ name: hostileText }).map((input) => ({
        query: 'mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id } userErrors { code field } } }',
        input,
      })),
      fc
        .record(
          {
            displayName: fc.option(hostileText),
            middleName: fc.option(hostileText),
            timeZone: fc.option(fc.oneof(hostileText, fc.constantFrom('Europe/Paris', '../../etc/passwd', 'UTC'))),
            mobileNumber: fc.option(fc.oneof(hostileText, fc.constantFrom('+14155550100', '+1 (415) 555-0100'))),
            type: fc.option(hostileText),
            firstName: hostileText,
            primaryRoleId: fc.oneof(hostileText, fc.constant(Buffer.from('Role:00000000-0000-0000-0000-000000000000').toString('base64url'))),
          },
          { requiredKeys: [] },
        )
        .map((fields) => ({
          query: 'mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { code field } } }',
          input: { id: employeeId, ...fields },
        })),
      fc.record({ username: hostileText, firstName: hostileText, lastName: hostileText, email: fc.oneof(hostileText, fc.emailAddress()) }).map((input) => ({
        query: 'mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { code field } } }',
        input,
      })),
      fc.record({ id: hostileText, name: hostileText }).map((input) => ({
        query: 'mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { team { id } userErrors { code field } } }',
        input,
      })),
    );
    const mutations: Mutation[] = fc.sample(mutation, { numRuns: 400, seed: 7 });
    const refused: string[] = [];
    const failures = await runAll(
      mutations,
      (m, index) =>
        h.request('POST', '/graphql', {
          token: t.tokens.admin,
          body: { query: m.query, variables: { input: m.input } },
          headers: { 'Content-Type': 'application/json', 'X-Request-Id': `gqlfuzz-${index}` },
        }),
      (m, result) => {
        const payload = result.body.data ? Object.values(result.body.data as Record<string, { userErrors: unknown[] }>)[0] : null;
        if (result.body.errors) {
          expect(result.body.errors[0].extensions.code).toMatch(/^(BAD_USER_INPUT|BAD_REQUEST)$/);
          refused.push(result.headers.get('x-request-id')!);
        } else if (payload && payload.userErrors.length > 0) {
          refused.push(result.headers.get('x-request-id')!);
        }
      },
    );
    expect(failures).toEqual([]);
    expect(refused.length).toBeGreaterThan(50);
    const audited: { request_id: string }[] = await h.dataSource.query(
      'SELECT DISTINCT request_id FROM audit_events WHERE tenant_id = $1 AND request_id = ANY($2)',
      [t.tenant.id, refused],
    );
    expect(audited).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);
});
