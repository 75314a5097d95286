import fs from 'node:fs';
import path from 'node:path';
import express, { Request, Response, Router } from 'express';

/**
 * Where `npm run build` puts the admin console: <repo>/dist/admin. This file runs either from <repo>/src/http (sources
 * through @swc-node) or from <repo>/dist/src/http (compiled). (<repo>/admin holds the console's sources, not a build.)
 */
export function defaultAdminConsoleDir(): string {
  const compiled = path.basename(path.resolve(__dirname, '..', '..')) === 'dist';
  return path.resolve(__dirname, ...(compiled ? ['..', '..', '..'] : ['..', '..']), 'dist', 'admin');
}

/**
 * The console only talks to this same origin, so its pages may load nothing from elsewhere. React sets styles through
 * the DOM, which style-src does not govern, so no 'unsafe-inline' is needed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

/**
 * The admin console (a single-page app built by Vite into `dir`) at /admin: hashed assets cached for a year, the page
 * itself never cached (so a new build is picked up at once), and every other path under /admin answered with the page
 * so that client routes such as /admin/employees/<id> survive a reload. Without a build it answers 503 saying how to
 * make one, instead of failing on a missing file.
 */
export function adminConsole(dir: string = defaultAdminConsoleDir()): Router {
  const router = express.Router();
  const indexFile = path.join(dir, 'index.html');

  router.use((req: Request, res: Response, next) => {
    securityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.status(405).type('text/plain').send('The admin console only answers GET and HEAD.');
      return;
    }
    if (!fs.existsSync(indexFile)) {
      res
        .status(503)
        .setHeader('Cache-Control', 'no-store')
        .type('text/plain')
        .send(`The admin console is not built (no ${indexFile}). Run \`npm run build\` and restart Rollcall.\n`);
      return;
    }
    next();
  });

  // File names under assets/ carry a content hash: a changed file gets a new name, so the old one may be kept forever.
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', etag: false }),
    (req: Request, res: Response) => {
      // A stale page asking for an asset of an older build: a plain 404, never the page in place of a script.
      res.status(404).setHeader('Cache-Control', 'no-store').type('text/plain').send(`No asset ${req.path}.`);
    },
  );
  router.use(
    express.static(dir, {
      index: false,
      etag: false,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  router.use((_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });
  return router;
}
