import { ensureAdminBuild } from './admin-console-support';
import { Harness } from './support/harness';

/** `GET /`, the address the start-up banner prints, leads a browser to the admin console (issue 20). */
let h: Harness;

beforeAll(async () => {
  ensureAdminBuild();
  h = await Harness.start();
});
afterAll(async () => h?.close());

async function unfollowed(method: string, path: string): Promise<Response> {
  return fetch(`${h.baseUrl}${path}`, { method, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
}

test('GET / and HEAD / answer 302 to /admin/ (the console page, not its own redirect), without the query string', async () => {
  for (const [method, path] of [
    ['GET', '/'],
    ['HEAD', '/'],
    ['GET', '/?token=rc_admin_secret&x=1'],
    ['HEAD', '/?x=1'],
  ]) {
    const response = await unfollowed(method, path);
    await response.arrayBuffer();
    expect({ method, path, status: response.status, location: response.headers.get('location') }).toEqual({
      method,
      path,
      status: 302,
      location: '/admin/',
    });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  }
});

test('a browser following the redirect gets the console page in one hop', async () => {
  const response = await fetch(`${h.baseUrl}/?x=1`, { signal: AbortSignal.timeout(10_000) });
  expect(response.status).toBe(200);
  expect(response.redirected).toBe(true);
  expect(response.url).toBe(`${h.baseUrl}/admin/`);
  expect(await response.text()).toContain('<div id="root"></div>');
});

test('other methods at / and other unknown paths still answer the JSON 404', async () => {
  for (const [method, path] of [
    ['POST', '/'],
    ['DELETE', '/'],
    ['GET', '/index.html'],
  ]) {
    const response = await unfollowed(method, path);
    expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  }
});
