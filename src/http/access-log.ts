import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse } from './types';
import { Logger, logger } from '../logging';

declare module 'express-serve-static-core' {
  interface Request {
    /** This request's logger: every line it writes carries `requestId`. */
    log: Logger;
    /** The tenant of the token, once a surface has authenticated the request (for the access log). */
    tenantId?: string;
  }
}

/** What the access log hands on for each finished request (the metrics). */
export type RequestObserver = (method: string, route: string, status: string, seconds: number) => void;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Routes that probes and scrapers hit every few seconds: logged at debug, not info. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
/** The parameter name each SCIM resource's routes use, for requests refused before routing (e.g. 401). */
const SCIM_RESOURCES: Record<string, string> = { Users: ':id', Groups: ':id', ResourceTypes: ':id', Schemas: ':urn', ServiceProviderConfig: '' };

/**
 * The route template of a request (`/scim/v2/Users/:id`), never the raw path: ids and filters stay out of logs and
 * metric labels, and the label set stays bounded. Express knows the template once a route matched; requests refused
 * earlier (authentication, rate limits) or answered outside the router (GraphQL) are named from a fixed list, and
 * anything else is `unmatched`.
 */
export function routeTemplate(req: HttpRequest): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return (req.baseUrl ?? '') + route.path;
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
  if (/^\/graphql\/?$/.test(path)) return '/graphql';
  const scim = /^\/scim\/v2(?:\/([A-Za-z]+)(\/[^/]+)?)?\/?$/.exec(path);
  if (scim) {
    if (scim[1] === undefined) return '/scim/v2';
    const param = SCIM_RESOURCES[scim[1]];
    if (param === undefined || (scim[2] !== undefined && param === '')) return 'unmatched';
    return scim[2] === undefined ? `/scim/v2/${scim[1]}` : `/scim/v2/${scim[1]}/${param}`;
  }
  return 'unmatched';
}

/**
 * Gives each request its child logger and writes one access-log line when it ends: method, route template, status,
 * duration and tenant; no headers, no query string, no body. A request the client abandoned before the answer was
 * complete is logged with `aborted: true` and counted with status `aborted`.
 */
export function accessLog(observe?: RequestObserver) {
  return (req: HttpRequest, res: HttpResponse): void => {
    const started = performance.now();
    req.log = logger.child({ requestId: req.requestId });
    res.once('close', () => {
      const route = routeTemplate(req);
      const finished = res.writableFinished;
      const ms = performance.now() - started;
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      observe?.(method, route, finished ? String(res.statusCode) : 'aborted', ms / 1000);
      const level = QUIET_ROUTES.has(route) ? 'debug' : 'info';
      if (!req.log.isLevelEnabled(level)) return;
      req.log[level](
        {
          method,
          route,
          status: res.statusCode,
          durationMs: Math.round(ms * 10) / 10,
          tenantId: req.tenantId,
          ...(finished ? {} : { aborted: true }),
        },
        'request',
      );
    });
  };
}
