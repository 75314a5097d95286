import fc from 'fast-check';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';
import { snapshotTenant } from './support/snapshot';

/**
 * Property-based hostile input: thousands of generated malformed filters, PATCH bodies and JSON documents, sent
 * over HTTP. Every answer is a success or a SCIM error (never a 500, never database error text), and a rejected
 * request changes nothing (no audit row carries its request id).
 */
let h: Harness;
let t: TestTenant;
let victimId: string;
const CONCURRENCY = 8;
const DB_ERROR_TEXT = /syntax error at or near|violates|relation "|column "|duplicate key|invalid input syntax|SQLSTATE|QueryFailedError|TypeError|stack/i;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('fuzz');
  await h.dataSource.query(`UPDATE tenants SET scim_import_fields = '{DISPLAY_NAME,TIME_ZONE,MOBILE_NUMBER,PRIMARY_ROLE,TEAM}' WHERE id = $1`, [
    t.tenant.id,
  ]);
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('victim@fuzz.example'));
  victimId = created.body.id;
});
afterAll(async () => h?.close());

const attribute = fc.constantFrom(
  'userName', 'USERNAME', 'name.givenName', 'name.familyName', 'emails', 'emails.value', 'emails.type', 'active', 'id',
  'externalId', 'displayName', 'timezone', 'meta.created', 'meta.lastModified', 'phoneNumbers', 'groups', 'unknown',
  '__proto__', 'constructor', 'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User:primaryRole', 'name.__proto__', 'a.b.c', '',
);
const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'xx', '');
const literal = fc.oneof(
  fc.string().map((s) => JSON.stringify(s)),
  fc.constantFrom('true', 'false', 'null', '1', '-1.5e3', '"', '"unterminated', "'", "' OR 1=1 --", '"\\u0000"', '"%_\\\\"'),
  fc.integer().map(String),
  fc.string(),
);
const filterText: fc.Arbitrary<string> = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(attribute, operator, literal).map(([a, o, v]) => `${a} ${o} ${v}`),
    fc.tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND', 'xor'), tie('filter')).map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f}`),
    fc.tuple(attribute, tie('filter')).map(([a, f]) => `${a}[${f}]`),
    fc.string({ maxLength: 60 }),
  ),
})).filter;

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'userName', 'active', 'Operations', 'op', 'path', 'value');
const patchBody = fc.oneof(
  fc.record({
    schemas: fc.oneof(fc.constant(['urn:ietf:params:scim:api:messages:2.0:PatchOp']), jsonValue),
    Operations: fc.oneof(
      fc.array(
        fc.record(
          {
            op: fc.oneof(fc.constantFrom('add', 'Replace', 'REMOVE', 'move', ''), jsonValue),
            path: fc.oneof(filterText, attribute, fc.string(), jsonValue),
            value: fc.oneof(jsonValue, fc.dictionary(fc.oneof(attribute, hostileKey, fc.string()), jsonValue)),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      jsonValue,
    ),
  }),
  jsonValue,
);
const userBody = fc.oneof(
  fc.record(
    {
      schemas: fc.oneof(fc.constant(['urn:ietf:params:scim:schemas:core:2.0:User']), jsonValue),
      userName: fc.oneof(fc.emailAddress(), fc.string(), jsonValue),
      name: fc.oneof(fc.record({ givenName: fc.oneof(fc.string(), jsonValue), familyName: fc.oneof(fc.string(), jsonValue) }), jsonValue),
      emails: fc.oneof(fc.array(fc.record({ value: fc.oneof(fc.string(), jsonValue), primary: jsonValue, type: jsonValue })), jsonValue),
      active: jsonValue,
      timezone: fc.oneof(fc.constantFrom('Europe/Paris', 'Mars/Base', '../../etc', ''), jsonValue),
      phoneNumbers: jsonValue,
      'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User': fc.oneof(
        fc.record({ primaryRole: fc.oneof(fc.constantFrom('Agent', 'agent', 'Wizard'), jsonValue), team: jsonValue }),
        jsonValue,
      ),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.oneof(hostileKey, fc.string()), jsonValue),
  jsonValue,
);

type Request = { method: string; path: string; body?: unknown; raw?: string };

const requests = (count: number, arbitrary: fc.Arbitrary<Request>, seed: number) =>
  fc.sample(arbitrary, { numRuns: count, seed });

async function run(batch: Request[]): Promise<{ rejected: string[]; failures: string[] }> {
  const rejected: string[] = [];
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batch.length) {
        const index = next++;
        const request = batch[index];
        const requestId = `fuzz-${index}-${Math.random().toString(36).slice(2)}`;
        const result = await h.request(request.method, `/scim/v2${request.path}`, {
          token: t.tokens.scim,
          ...(request.raw !== undefined ? { rawBody: request.raw } : request.body !== undefined ? { body: request.body } : {}),
          headers: { 'X-Request-Id': requestId, ...(request.raw !== undefined ? { 'Content-Type': 'application/scim+json' } : {}) },
        });
        const describe = `${request.method} ${request.path.slice(0, 120)} ${JSON.stringify(request.body ?? request.raw ?? '').slice(0, 200)} -> ${result.status} ${result.text.slice(0, 200)}`;
        if (result.status >= 500) failures.push(describe);
        else if (result.status >= 400) {
          if (result.body?.schemas?.[0] !== 'urn:ietf:params:scim:api:messages:2.0:Error' || result.body.status !== String(result.status)) {
            failures.push(`not a SCIM error: ${describe}`);
          }
          rejected.push(requestId);
        }
        if (DB_ERROR_TEXT.test(result.text)) failures.push(`leaks internals: ${describe}`);
      }
    }),
  );
  return { rejected, failures };
}

async function auditedRequestIds(ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows: { request_id: string }[] = await h.dataSource.query(
    'SELECT DISTINCT request_id FROM audit_events WHERE tenant_id = $1 AND request_id = ANY($2)',
    [t.tenant.id, ids],
  );
  return rows.map((r) => r.request_id);
}

test('4,000 generated filters: 200 or 400 invalidFilter, never a 500 or database text', async () => {
  // Reads never write: the tenant's rows (bar the log of refused requests and the tokens' last use) stay as they were.
  const volatile = { tables: ['provisioning_events'], columns: { access_tokens: ['last_used_at'] } };
  const before = await snapshotTenant(h, t.tenant.id, volatile);
  const batch = requests(4000, filterText.map((f) => ({ method: 'GET', path: `/Users?filter=${encodeURIComponent(f)}&count=1` })), 7);
  const { failures } = await run(batch);
  expect(failures).toEqual([]);
  expect(await snapshotTenant(h, t.tenant.id, volatile)).toEqual(before);
}, 300_000);

test('3,000 generated PATCH bodies: success or SCIM error; rejected ones change nothing', async () => {
  const before = await h.employeeRow(t.tenant.id, victimId);
  const batch = requests(3000, patchBody.map((body) => ({ method: 'PATCH', path: `/Users/${victimId}`, body })), 11);
  const { rejected, failures } = await run(batch);
  expect(failures).toEqual([]);
  expect(await auditedRequestIds(rejected)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(before).toBeDefined();
}, 300_000);

test('3,000 generated User documents and raw bodies: success or SCIM error; rejected ones change nothing', async () => {
  const raw = fc.oneof(
    fc.string().map((s) => ({ method: 'POST', path: '/Users', raw: s })),
    fc.string().map((s) => ({ method: 'PUT', path: `/Users/${victimId}`, raw: `{"userName": ${s}` })),
    // Nesting around and past the 64-level limit: a 400, never a stack overflow.
    fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => ({
      method: 'POST',
      path: '/Users',
      raw: `{"userName":"nest@fuzz.example","x":${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}}`,
    })),
  );
  const documents = fc.oneof(
    userBody.map((body) => ({ method: 'POST', path: '/Users', body })),
    userBody.map((body) => ({ method: 'PUT', path: `/Users/${victimId}`, body })),
    raw,
  );
  const batch = requests(3000, documents as fc.Arbitrary<Request>, 13);
  const { rejected, failures } = await run(batch);
  expect(failures).toEqual([]);
  expect(await auditedRequestIds(rejected)).toEqual([]);
}, 300_000);
