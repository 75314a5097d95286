import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { NextFunction, Request, Response } from 'express';
import Router from 'router';
import { DataSource } from 'typeorm';
import { Config } from './config';
import { graphqlInternalError } from './graphql/body-errors';
import { graphqlRouter } from './graphql/server';
import { accessLog, routeTemplate } from './http/access-log';
import { adminConsole } from './http/admin-console';
import { authenticator } from './http/auth';
import { employeesCsv } from './http/export';
import { Metrics } from './http/metrics';
import { oauthRouter } from './http/oauth';
import { RateLimiter } from './http/rate-limit';
import { requestId } from './http/request-id';
import { baseSecurityHeaders, noFramingHeaders } from './http/security-headers';
import type { HttpRequest } from './http/types';
import { logger, setLogLevel } from './logging';
import { DATABASE_RETRY_AFTER_SECONDS, asDatabaseUnavailable } from './services/errors';
import { ProvisioningLogWriter, provisioningLogService } from './services/provisioning-log.service';
import * as sql from './services/sql';
import { EventFeed } from './services/event-feed';
import { eventService } from './services/event.service';
import { oauthTokenService } from './services/oauth/tokens';
import { scimErrorBody } from './scim/errors';
import type { WebhookDispatch } from './services/webhook-dispatcher';
import { startWebhookDispatcher } from './services/webhook-dispatcher-thread';
import { webhookService } from './services/webhook.service';
import { allowInsecureWebhookHosts } from './services/webhook-url';
import { scimErrorHandler, scimRouter } from './scim/router';
import { send as sendScim } from './scim/request';

/** How often expired provisioning-log entries and change-feed events are purged. */
const PURGE_INTERVAL_MS = 60 * 60_000;

export interface App {
  /** Every request of the server: give it to http.createServer. */
  handler: RequestListener;
  /** The HTTP server's `upgrade` events: GraphQL subscriptions over WebSocket at /graphql. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes the WebSocket connections (subscriptions): first at shutdown, as the HTTP drain does not see them. */
  closeSockets(): Promise<void>;
  /**
   * From now on /readyz answers 503: the instance is stopping (SIGTERM). A load balancer that still probes it over a
   * kept-alive connection takes it out instead of sending more work during the drain.
   */
  drain(): void;
  provisioningLog: ProvisioningLogWriter;
  /**
   * Sends the change feed to the tenants' webhook endpoints (wake it when events were sequenced): from a thread of its
   * own on PostgreSQL, inline on the embedded database (src/services/webhook-dispatcher-thread.ts).
   */
  webhooks: WebhookDispatch;
  events: EventFeed;
  stop(): Promise<void>;
}

/**
 * Both surfaces behind one request listener: SCIM under /scim/v2 and GraphQL at /graphql on plain routers (see
 * src/scim/request.ts for why not Express), and on Express: the admin console at /admin, probes at /healthz and /readyz,
 * Prometheus metrics at /metrics (unless METRICS_ENABLED=false). Every request gets its id and access-log line first.
 */
export async function createApp(config: Config, dataSource: DataSource): Promise<App> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  setLogLevel(config.logLevel);
  const metrics = config.metrics.enabled ? new Metrics(dataSource) : undefined;
  const logAccess = accessLog(metrics?.observe);
  if (metrics) app.get('/metrics', metrics.handler(config.metrics.token));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  let draining = false;
  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    try {
      await sql.rows({ manager: dataSource.manager }, 'SELECT 1');
      res.json({ status: 'ready', database: 'reachable' });
    } catch {
      res.status(503).setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS)).json({ status: 'unavailable', database: 'unreachable' });
    }
  });

  const scimBase = `${config.publicUrl}/scim/v2`;
  const provisioningLog = new ProvisioningLogWriter(dataSource);
  allowInsecureWebhookHosts(config.webhookAllowInsecureHosts);
  const webhooks = startWebhookDispatcher(config, dataSource);
  const purge = setInterval(() => {
    provisioningLogService.purgeExpired(dataSource.manager).catch((err) => logger.error({ err }, 'provisioning-log purge failed'));
    webhookService.purgeExpired(dataSource.manager).catch((err) => logger.error({ err }, 'webhook delivery log purge failed'));
    eventService.purgeExpired(dataSource.manager).catch((err) => logger.error({ err }, 'event purge failed'));
    oauthTokenService.purgeExpired(dataSource.manager).catch((err) => logger.error({ err }, 'OAuth token purge failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  const rateLimiter = new RateLimiter(config.rateLimit);
  const scim = new Router();
  scim.use('/scim/v2', scimRouter({ dataSource, baseUrl: scimBase, provisioningLog, rateLimiter }));
  // Errors raised before the SCIM router's own handler (none today) still answer as SCIM.
  scim.use('/scim/v2', scimErrorHandler);

  const events = await new EventFeed(dataSource).start();
  events.onNewEvents(() => webhooks.wake());
  const graphql = await graphqlRouter(config, dataSource, rateLimiter, events);

  // The OAuth authorization server for identity providers (docs/oauth.md).
  app.use(oauthRouter({ dataSource, publicUrl: config.publicUrl, rateLimit: config.rateLimit }));

  // The admin console: a single-page app over /graphql, built into dist/admin.
  app.use('/admin', adminConsole());
  // The start-up banner prints the bare address; a browser opening it lands in the console. To /admin/, the page
  // itself (/admin answers with a redirect to it). The query string is not carried over: nothing at / reads it.
  // Relative, so it holds behind a proxy; Express answers HEAD with this route too.
  app.get('/', (_req, res) => {
    res.redirect(302, '/admin/');
  });
  // The current employee list as CSV (docs/graphql.md, "Name order, search and export").
  app.get('/export/employees.csv', employeesCsv(authenticator(dataSource, rateLimiter)));

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found', message: `Nothing at ${req.method} ${req.path}. Try /scim/v2 or /graphql.`, requestId: req.requestId });
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: 'The request could not be read.', requestId: req.requestId });
      return;
    }
    const unavailable = asDatabaseUnavailable(error);
    if (unavailable) {
      req.log.warn({ method: req.method, route: routeTemplate(req) }, 'database unavailable');
      res
        .status(503)
        .setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
        .json({ error: 'unavailable', message: unavailable.message, requestId: req.requestId });
      return;
    }
    req.log.error({ err: error, method: req.method, route: routeTemplate(req) }, 'internal error');
    res.status(500).json({ error: 'internal', message: `Internal error (request id ${req.requestId}).`, requestId: req.requestId });
  });

  const handler = (incoming: IncomingMessage, res: ServerResponse): void => {
    const req = incoming as HttpRequest;
    requestId(req, res);
    baseSecurityHeaders(res);
    logAccess(req, res);
    if (isUnder(req.url, '/graphql')) {
      // GET /graphql from a browser is the Sandbox page (when enabled): never framed by another site.
      noFramingHeaders(res);
      // The router answers its errors itself (graphqlBodyErrors): it calls back for a path it did not match, or with
      // the error of a failing error handler.
      graphql.router(req, res, (error?: unknown) => (error ? graphqlInternalError(error, req, res) : app(req, res)));
      return;
    }
    if (!isUnder(req.url, '/scim/v2')) {
      app(req, res);
      return;
    }
    scim(req, res, (error?: unknown) => {
      if (!error) return app(req, res);
      // Only a failure of the SCIM error handler itself gets here.
      req.log.error({ err: error, method: req.method, route: routeTemplate(req) }, 'internal error');
      if (res.headersSent) res.destroy();
      else sendScim(res, 500, { ...scimErrorBody(500, `Internal error (request id ${req.requestId}).`), requestId: req.requestId });
    });
  };

  return {
    handler,
    upgrade: (req, socket, head) => graphql.subscriptions.upgrade(req, socket, head),
    closeSockets: () => graphql.subscriptions.close(),
    drain: () => {
      draining = true;
    },
    provisioningLog,
    webhooks,
    events,
    async stop() {
      clearInterval(purge);
      await webhooks.stop();
      await graphql.stop();
      await events.stop();
      await provisioningLog.close();
    },
  };
}

/** Whether a URL is `prefix` or under it (case-insensitively, as routes match). */
function isUnder(url: string, prefix: string): boolean {
  const n = prefix.length;
  if (url.length < n || url.slice(0, n).toLowerCase() !== prefix) return false;
  return url.length === n || url[n] === '/' || url[n] === '?';
}
