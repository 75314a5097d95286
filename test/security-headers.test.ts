import net from 'node:net';
import { ensureAdminBuild } from './admin-console-support';
import { Harness, TestTenant } from './support/harness';

/** Issue 17, point 8: every answer says `nosniff`; the pages a browser shows (Sandbox, admin console) cannot be framed. */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  ensureAdminBuild();
  h = await Harness.start({ NODE_ENV: 'development', GRAPHQL_SANDBOX: 'true' });
  t = await h.tenant('headers');
});
afterAll(async () => h?.close());

/** A request the HTTP parser refuses, answered on the raw socket by client-errors.ts. */
function rawAnswer(request: string): Promise<string> {
  const url = new URL(h.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(request));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('X-Content-Type-Options: nosniff on every kind of answer', async () => {
  const json = { 'Content-Type': 'application/json' };
  const scimJson = { 'Content-Type': 'application/scim+json' };
  const answers = {
    'scim list': await h.scim('GET', '/Users', t.tokens.scim),
    'scim discovery': await h.request('GET', '/scim/v2/ServiceProviderConfig'),
    'scim unauthenticated': await h.request('GET', '/scim/v2/Users'),
    'scim not json': await h.request('POST', '/scim/v2/Users', { token: t.tokens.scim, rawBody: '{', headers: scimJson }),
    'scim too large': await h.request('POST', '/scim/v2/Users', { token: t.tokens.scim, rawBody: `{"a":"${'x'.repeat(2_000_000)}"}`, headers: scimJson }),
    'scim unknown resource': await h.scim('GET', '/Nothing', t.tokens.scim),
    graphql: await h.graphql(t.tokens.read, '{ viewer { scope } }'),
    'graphql unauthenticated': await h.graphql(undefined, '{ viewer { scope } }'),
    'graphql not json': await h.request('POST', '/graphql', { token: t.tokens.read, rawBody: '{', headers: json }),
    'graphql sandbox': await h.request('GET', '/graphql', { headers: { Accept: 'text/html' } }),
    'admin page': await h.request('GET', '/admin'),
    'admin method': await h.request('POST', '/admin'),
    healthz: await h.request('GET', '/healthz'),
    readyz: await h.request('GET', '/readyz'),
    metrics: await h.request('GET', '/metrics'),
    'not found': await h.request('GET', '/nothing-here'),
    'head not found': await h.request('HEAD', '/nothing-here'),
  };
  const seen = Object.fromEntries(Object.entries(answers).map(([name, a]) => [name, a.headers.get('x-content-type-options')]));
  expect(seen).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, 'nosniff'])));
  // The refusals really were refusals (not answers of some other route).
  expect(answers['scim not json'].status).toBe(400);
  expect(answers['scim too large'].status).toBe(413);
  expect(answers['graphql not json'].status).toBe(400);
  expect(answers['not found'].status).toBe(404);

  const unparsed = await rawAnswer(`GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Filler: ${'x'.repeat(20_000)}\r\n\r\n`);
  expect(unparsed).toMatch(/^HTTP\/1\.1 431 /);
  expect(unparsed.toLowerCase()).toContain('\r\nx-content-type-options: nosniff\r\n');
});

test('the Sandbox page and the admin console cannot be framed', async () => {
  const sandbox = await h.request('GET', '/graphql', { headers: { Accept: 'text/html' } });
  expect(sandbox.status).toBe(200);
  expect(sandbox.text).toContain('sandbox');
  expect(sandbox.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(sandbox.headers.get('x-frame-options')).toBe('DENY');

  const admin = await h.request('GET', '/admin');
  expect(admin.status).toBe(200);
  expect(admin.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(admin.headers.get('x-frame-options')).toBe('DENY');
});
