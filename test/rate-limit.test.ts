import { RateLimiter } from '../src/http/rate-limit';
import { Harness, TestTenant } from './support/harness';

/** Per-token rate limits: 429 with Retry-After and a SCIM error body or a GraphQL error; other tokens unaffected. */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
  t = await h.tenant('limits');
});
afterAll(async () => h?.close());

test('a token over its budget gets 429 with Retry-After and a SCIM error body', async () => {
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<Harness['scim']>> | undefined;
  for (let i = 0; i < 6; i++) {
    const result = await h.scim('GET', '/Users?count=1', t.tokens.scim);
    statuses.push(result.status);
    if (result.status === 429) limited ??= result;
  }
  expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
  expect(statuses).toContain(429);
  expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(limited!.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429' });
});

test('GraphQL answers RATE_LIMITED with HTTP 429 and Retry-After; each token has its own budget', async () => {
  const results = [];
  for (let i = 0; i < 6; i++) results.push(await h.graphql(t.tokens.read, '{ employees { totalCount } }'));
  const limited = results.find((r) => r.status === 429);
  expect(limited?.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
  expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
  // The admin token of the same tenant still has its whole budget.
  expect((await h.graphql(t.tokens.admin, '{ employees { totalCount } }')).status).toBe(200);
});

test('the bucket refills at the sustained rate', () => {
  const limiter = new RateLimiter({ perSecond: 2, burst: 2 });
  expect([limiter.take('k', 0), limiter.take('k', 0), limiter.take('k', 0)]).toEqual([0, 0, 1]);
  expect(limiter.take('k', 500)).toBe(0);
  expect(new RateLimiter({ perSecond: 0, burst: 1 }).take('k')).toBe(0);
});
