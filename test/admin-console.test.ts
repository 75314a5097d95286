import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { adminConsole } from '../src/http/admin-console';
import { ADMIN_BUILD, ensureAdminBuild } from './admin-console-support';
import { Harness } from './support/harness';

/** How the server hands out the console's files: caching, client routes, security headers, and a missing build. */
let h: Harness;

beforeAll(async () => {
  ensureAdminBuild();
  h = await Harness.start();
});
afterAll(async () => h?.close());

function assetOf(html: string): string {
  const match = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(html);
  if (!match) throw new Error(`no script in the page: ${html}`);
  return match[1];
}

test('/admin answers the page uncached, with a CSP that allows only its own scripts', async () => {
  for (const url of ['/admin', '/admin/', '/admin/employees', '/admin/employees/RW1wbG95ZWU6MQ', '/admin/settings']) {
    const page = await h.request('GET', url);
    expect({ url, status: page.status }).toEqual({ url, status: 200 });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.text).toContain('<div id="root"></div>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  }
});

test('hashed assets are cached for a year; a missing asset is a 404, never the page', async () => {
  const page = await h.request('GET', '/admin/');
  const script = assetOf(page.text);
  const asset = await h.request('GET', script);
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toMatch(/javascript/);
  expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(fs.existsSync(path.join(ADMIN_BUILD, script.replace('/admin/', '')))).toBe(true);

  const missing = await h.request('GET', '/admin/assets/index-0000000.js');
  expect(missing.status).toBe(404);
  expect(missing.text).not.toContain('<div id="root">');
});

test('only GET and HEAD are answered under /admin; /graphql and unknown paths answer as before', async () => {
  const post = await h.request('POST', '/admin/employees', { rawBody: 'x' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
  const graphql = await h.graphql(undefined, '{ viewer { scope } }');
  expect(graphql.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect((await h.request('GET', '/admins')).status).toBe(404);
});

test('without a build, /admin says to run npm run build (503), and the rest of the app still answers', async () => {
  const app = express();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-no-admin-'));
  app.use('/admin', adminConsole(path.join(empty, 'admin')));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const url of ['/admin', '/admin/employees', '/admin/assets/index.js']) {
      const response = await fetch(`${base}${url}`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('Run `npm run build`');
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
