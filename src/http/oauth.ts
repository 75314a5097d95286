import bodyParser from 'body-parser';
import express, { NextFunction, Request, Response, Router } from 'express';
import { DataSource } from 'typeorm';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../services/errors';
import { AuthorizeParams, oauthAuthorizationService } from '../services/oauth/authorization.service';
import { oauthEndpoints, oauthMetadata } from '../services/oauth/endpoints';
import { handleRevocationRequest, handleTokenRequest } from '../services/oauth/token-endpoint';
import { RateLimit, RateLimiter } from './rate-limit';
import { noFramingHeaders } from './security-headers';

/** A token request is a few hundred bytes; an assertion a few kilobytes. */
const TOKEN_BODY_LIMIT = '32kb';
/**
 * The token endpoint is called once an hour per connection; these limits only stop guessing and floods. Per address
 * and client id together (so that nobody can exhaust another client's bucket by naming its id), and per address.
 */
const PER_CLIENT: RateLimit = { perSecond: 2, burst: 30 };
const PER_ADDRESS: RateLimit = { perSecond: 20, burst: 200 };

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope'] as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page shown instead of a redirect when the client or its redirect URI cannot be trusted (RFC 6749 §4.1.2.1). */
function errorPage(res: Response, status: number, message: string): void {
  noFramingHeaders(res);
  res
    .status(status)
    .setHeader('Cache-Control', 'no-store')
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rollcall: cannot continue</title></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">` +
        `<h1>This connection request cannot continue</h1><p>${escapeHtml(message)}</p>` +
        `<p>Go back to your identity provider and check the connection's client id and redirect URI against the Connections page of Rollcall.</p>` +
        `</body></html>`,
    );
}

function clientIdOf(req: Request): string {
  const body = req.body as Record<string, unknown> | undefined;
  if (typeof body?.client_id === 'string') return body.client_id.slice(0, 100);
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (basic) return Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0].slice(0, 100);
  return '';
}

/**
 * The authorization server's HTTP surface (docs/oauth.md): POST /oauth/token, POST /oauth/revoke (RFC 7009),
 * GET /oauth/authorize and the RFC 8414 metadata. The rules live in src/services/oauth; this adapts HTTP to them.
 */
export function oauthRouter(options: { dataSource: DataSource; publicUrl: string; rateLimit: RateLimit }): Router {
  const { dataSource, publicUrl } = options;
  const endpoints = oauthEndpoints(publicUrl);
  const limitsOn = options.rateLimit.perSecond > 0;
  const perClient = new RateLimiter(limitsOn ? PER_CLIENT : { perSecond: 0, burst: 0 });
  const perAddress = new RateLimiter(limitsOn ? PER_ADDRESS : { perSecond: 0, burst: 0 });
  const router = express.Router();
  /** Answers 429 and true when the address, or the client id from the address, is over its limit. */
  const limited = (req: Request, res: Response): boolean => {
    const address = req.socket.remoteAddress ?? '';
    const wait = Math.max(perAddress.take(address), perClient.take(`${clientIdOf(req)}|${address}`));
    if (wait <= 0) return false;
    res
      .status(429)
      .set({ 'Cache-Control': 'no-store', 'Retry-After': String(wait) })
      .json({ error: 'invalid_request', error_description: `Too many requests; retry after ${wait} s.` });
    return true;
  };

  const metadata = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.json(oauthMetadata(publicUrl));
  };
  router.get('/.well-known/oauth-authorization-server', metadata);
  // An issuer with a path (PUBLIC_URL https://host/rollcall) has its metadata at the host's root with the path after
  // the well-known name (RFC 8414 §3.1: /.well-known/oauth-authorization-server/rollcall): a proxy that forwards that
  // address here gets the document. Clients that append the well-known name to the issuer instead reach the route
  // above once the proxy strips the path.
  const issuerPath = new URL(publicUrl).pathname.replace(/\/+$/, '');
  if (issuerPath) {
    // Compared as text: the path is the operator's and may hold characters a route pattern would read as syntax.
    const pathForm = `/.well-known/oauth-authorization-server${issuerPath}`;
    router.use((req, res, next) => ((req.method === 'GET' || req.method === 'HEAD') && req.path === pathForm ? metadata(req, res) : next()));
  }

  router.post(
    '/oauth/token',
    bodyParser.urlencoded({ extended: false, limit: TOKEN_BODY_LIMIT, parameterLimit: 50 }),
    async (req: Request, res: Response) => {
      if (limited(req, res)) return;
      const answer = await handleTokenRequest(
        dataSource.manager,
        { method: req.method, headers: req.headers, query: req.query as Record<string, unknown>, body: (req.body as Record<string, unknown>) ?? {} },
        { tokenUrl: endpoints.tokenUrl, requestId: req.requestId },
      );
      res.status(answer.status).set(answer.headers).json(answer.body);
    },
  );

  router.post(
    '/oauth/revoke',
    bodyParser.urlencoded({ extended: false, limit: TOKEN_BODY_LIMIT, parameterLimit: 50 }),
    async (req: Request, res: Response) => {
      if (limited(req, res)) return;
      const answer = await handleRevocationRequest(
        dataSource.manager,
        { method: req.method, headers: req.headers, query: {}, body: (req.body as Record<string, unknown>) ?? {} },
        { requestId: req.requestId },
      );
      res.status(answer.status).set(answer.headers).json(answer.body);
    },
  );

  router.get('/oauth/authorize', async (req: Request, res: Response) => {
    // Each request stores a pending row: bounded per address like the token endpoint.
    const wait = perAddress.take(req.socket.remoteAddress ?? '');
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return errorPage(res, 429, `Too many requests; try again in ${wait} seconds.`);
    }
    const params: AuthorizeParams = {};
    for (const name of AUTHORIZE_PARAMS) {
      const value = req.query[name];
      if (value === undefined) continue;
      // RFC 6749 §3.1: a parameter sent twice is an error; before the client is verified it can only be a page.
      if (typeof value !== 'string') return errorPage(res, 400, `The parameter ${name} was sent more than once.`);
      params[name] = value;
    }
    const outcome = await oauthAuthorizationService.start(dataSource.manager, params);
    res.setHeader('Cache-Control', 'no-store');
    switch (outcome.kind) {
      case 'error-page':
        return errorPage(res, 400, outcome.message);
      case 'redirect':
        return res.redirect(302, outcome.location);
      case 'consent':
        return res.redirect(302, `/admin/consent/${outcome.requestId}`);
    }
  });

  // Errors of this router answer in its own shapes: RFC 6749 §5.2 for the token endpoint, a page for authorize.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/oauth/')) return next(error);
    const status = (error as { status?: number }).status;
    if (isDatabaseUnavailable(error)) {
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      if (req.path !== '/oauth/authorize') {
        res.status(503).set('Cache-Control', 'no-store').json({ error: 'temporarily_unavailable', error_description: 'The database is unavailable; retry shortly.' });
      } else errorPage(res, 503, 'Rollcall is briefly unavailable; try again in a few seconds.');
      return;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      if (req.path !== '/oauth/authorize') {
        res.status(400).set('Cache-Control', 'no-store').json({ error: 'invalid_request', error_description: 'The request body could not be read.' });
      } else errorPage(res, 400, 'The request could not be read.');
      return;
    }
    next(error);
  });
  return router;
}
