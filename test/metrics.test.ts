import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * GET /metrics in the Prometheus text format, after real SCIM and GraphQL traffic: requests by route template and
 * status, latency histograms, the database pool and the process, and never a token, a tenant id or an id-bearing path.
 */
let h: Harness;
let t: TestTenant;

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('metrics');
});
afterAll(async () => h?.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text exposition format (0.0.4): fails on any line it does not understand. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        types.set(meta[2], meta[3]);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`Not Prometheus text: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const labelText = sample[2] ?? '';
    const rest = labelText.replace(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g, (_m, name: string, value: string) => {
      labels[name] = value;
      return '';
    });
    if (rest !== '') throw new Error(`Bad labels in ${JSON.stringify(line)}`);
    const value = Number(sample[3].replace(/^\+Inf$/, 'Infinity'));
    if (Number.isNaN(value) && sample[3] !== 'NaN') throw new Error(`Bad value in ${JSON.stringify(line)}`);
    const family = sample[1].replace(/_(bucket|sum|count)$/, '');
    if (!types.has(sample[1]) && !types.has(family)) throw new Error(`Sample without # TYPE: ${JSON.stringify(line)}`);
    samples.push({ name: sample[1], labels, value });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(): Promise<{ text: string; samples: Sample[]; types: Map<string, string> }> {
  const result = await h.request('GET', '/metrics');
  expect(result.status).toBe(200);
  expect(result.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: result.text, ...parsePrometheus(result.text) };
}

test('requests are counted by route template and status, with latency, pool and process metrics', async () => {
  const created = await h.scim('POST', '/Users', t.tokens.scim, oktaCreateUser('metrics.ada@example.com'));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim)).status).toBe(200);
  expect((await h.scim('GET', `/Users/${id}`, t.tokens.scim)).status).toBe(200);
  expect((await h.scim('GET', '/Users/00000000-0000-4000-8000-000000000000', t.tokens.scim)).status).toBe(404);
  expect((await h.scim('GET', `/Users/${id}`, 'rc_scim_not-a-valid-token')).status).toBe(401);
  expect((await h.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "metrics.ada@example.com"')}`, t.tokens.scim)).status).toBe(200);
  expect((await h.graphql(t.tokens.read, '{ employees { totalCount } }')).status).toBe(200);
  expect((await h.graphql('rc_admin_not-a-valid-token', '{ employees { totalCount } }')).status).toBe(401);
  expect((await h.request('GET', `/nothing/here/${id}`)).status).toBe(404);

  // The access log counts a request when its connection reports the answer complete; give that a moment.
  let scraped = await scrape();
  for (let i = 0; i < 20 && value(scraped.samples, 'http_requests_total', { route: 'unmatched' }) === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    scraped = await scrape();
  }
  const { samples, types, text } = scraped;
  const count = (method: string, route: string, status: string) => value(samples, 'http_requests_total', { method, route, status });

  expect(types.get('http_requests_total')).toBe('counter');
  expect(types.get('http_request_duration_seconds')).toBe('histogram');
  expect(count('POST', '/scim/v2/Users', '201')).toBe(1);
  expect(count('GET', '/scim/v2/Users/:id', '200')).toBe(2);
  expect(count('GET', '/scim/v2/Users/:id', '404')).toBe(1);
  expect(count('GET', '/scim/v2/Users/:id', '401')).toBe(1);
  expect(count('GET', '/scim/v2/Users', '200')).toBe(1);
  expect(count('POST', '/graphql', '200')).toBe(1);
  expect(count('POST', '/graphql', '401')).toBe(1);
  expect(count('GET', 'unmatched', '404')).toBe(1);

  // Histogram: every request of a route lands in the +Inf bucket, and the buckets are cumulative.
  const durationCount = value(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/scim/v2/Users/:id' });
  expect(durationCount).toBe(4);
  expect(value(samples, 'http_request_duration_seconds_bucket', { method: 'GET', route: '/scim/v2/Users/:id', le: '+Inf' })).toBe(4);
  const buckets = samples
    .filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.route === '/scim/v2/Users/:id' && s.labels.method === 'GET')
    .map((s) => s.value);
  expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  expect(value(samples, 'http_request_duration_seconds_sum', { method: 'GET', route: '/scim/v2/Users/:id' })).toBeGreaterThan(0);

  // The pool behind TypeORM (the harness sizes it to 1 on the embedded database, 5 on PostgreSQL).
  const poolSize = h.db.kind === 'embedded' ? 1 : 5;
  expect(value(samples, 'db_pool_max_connections', {})).toBe(poolSize);
  const open = value(samples, 'db_pool_connections', {})!;
  expect(open).toBeGreaterThanOrEqual(1);
  expect(open).toBeLessThanOrEqual(poolSize);
  expect(value(samples, 'db_pool_idle_connections', {})).toBeLessThanOrEqual(open);
  expect(value(samples, 'db_pool_waiting_requests', {})).toBe(0);

  expect(value(samples, 'process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
  expect(value(samples, 'nodejs_heap_size_used_bytes', {})).toBeGreaterThan(0);

  // Bounded labels: templates only. No id, tenant, token or filter text, valid or not.
  for (const secret of [t.tokens.scim, t.tokens.admin, t.tokens.read, 'not-a-valid-token', id, t.tenant.id, 'metrics.ada', 'rc_']) {
    expect(text).not.toContain(secret);
  }
  const routes = new Set(samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route));
  for (const route of routes) expect(route).toMatch(/^(unmatched|\/graphql|\/healthz|\/readyz|\/metrics|\/scim\/v2(\/[A-Za-z]+(\/:(id|urn))?)?)$/);
});

/** The same app with other settings, on the harness' database and a port of its own. */
async function withApp(env: Record<string, string>, work: (baseUrl: string) => Promise<void>): Promise<void> {
  const app = await createApp(loadConfig({ NODE_ENV: 'test', ...env }), h.dataSource);
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.stop();
  }
}

test('with METRICS_TOKEN set, /metrics needs it as a bearer token', async () => {
  const secret = 'scrape-secret-4f1c9a7e2b';
  await withApp({ METRICS_TOKEN: secret }, async (base) => {
    const anonymous = await fetch(`${base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('http_requests_total');
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${secret}x` } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${t.tokens.admin}` } })).status).toBe(401);
    const allowed = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('# TYPE http_requests_total counter');
  });
});

test('with METRICS_ENABLED=false there is no /metrics', async () => {
  await withApp({ METRICS_ENABLED: 'false' }, async (base) => {
    const result = await fetch(`${base}/metrics`);
    expect(result.status).toBe(404);
    expect(await result.text()).not.toContain('http_requests_total');
  });
});
