import Router from 'router';
import { DataSource } from 'typeorm';
import { routeTemplate } from '../http/access-log';
import { Access, authenticator, lastKnownAttribution } from '../http/auth';
import { RateLimiter } from '../http/rate-limit';
import { IdpEmployee, IdpWarning, employeeService } from '../services/employee.service';
import type { ProvisioningWarning } from '../entities/provisioning-event.entity';
import { DomainError, asDatabaseUnavailable } from '../services/errors';
import { ProvisioningLogWriter } from '../services/provisioning-log.service';
import { isUuid } from '../services/validation';
import { LIST_RESPONSE_SCHEMA, SCIM_MAX_RESULTS, discoveryRouter } from './discovery';
import { ScimError, fromAuthRefusal, fromDomainError, scimAttribute, scimErrorBody } from './errors';
import { parseFilter } from './filter';
import { GROUP_BODY_LIMIT, registerGroupRoutes } from './groups';
import { applyPatch, parsePatchRequest } from './patch';
import { applyProjection, parseProjection } from './projection';
import { listParameters, Handler, SCIM_CONTENT_TYPE, ScimRequest, ScimResponse, context, ifMatchVersion, parseQuery, scimJson, send, sendEmpty } from './request';
import { CORE_USER_SCHEMA_URN } from './schema-definitions';
import { etag, fromScimUser, toScimUser } from './user-mapping';
import { userFilterToQuery, userSortField } from './user-query';

export { SCIM_CONTENT_TYPE };
/** Largest SCIM request body accepted outside /Groups (see GROUP_BODY_LIMIT). */
export const SCIM_BODY_LIMIT = '1mb';

export interface ScimRouterOptions {
  dataSource: DataSource;
  /** Where the outcome of SCIM writes and failures goes (the provisioning log). */
  provisioningLog: ProvisioningLogWriter;
  /** Per-token request budget, shared with GraphQL. */
  rateLimiter: RateLimiter;
  /** Public base URL of the SCIM API, e.g. http://localhost:3000/scim/v2 (for Location and meta.location). */
  baseUrl: string;
}

const SCIM_ACCESS: Access = { surface: 'scim', scopes: ['scim'] };

export function scimRouter(options: ScimRouterOptions): Router.Router {
  const { dataSource, baseUrl, provisioningLog, rateLimiter } = options;
  const authenticate = authenticator(dataSource, rateLimiter);
  const router = new Router();

  // Authentication first, so that every route (known or not) answers 401 to a caller without a valid token.
  router.use(async (req, res, next) => {
    req.query = parseQuery(req.url);
    let auth;
    try {
      auth = await authenticate(req, SCIM_ACCESS);
    } catch (error) {
      // The database cannot be asked who the token belongs to (an outage, once the token's cache entry expired). The
      // answer is a 503 either way; its provisioning-log entry goes to the tenant this token last authenticated as in
      // this process, if any (attribution only: nothing is authorised on that basis). The body is not read before
      // authentication, so such an entry names no userName.
      const attributed = asDatabaseUnavailable(error) ? lastKnownAttribution(req) : undefined;
      if (attributed) {
        req.tenantId = attributed.tenantId;
        recordOutcome(req, res, provisioningLog, attributed);
      }
      throw error;
    }
    if (!auth.ok) throw fromAuthRefusal(auth.refusal);
    req.scim = auth.ctx;
    recordOutcome(req, res, provisioningLog, { tenantId: auth.ctx.tenantId, tokenId: auth.ctx.actor.tokenId });
    next();
  });

  // Okta's own test sends application/json, real traffic application/scim+json; both, with or without charset.
  router.use((req, _res, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json' && type !== SCIM_CONTENT_TYPE) {
        throw new ScimError(
          415,
          `Unsupported Content-Type "${type || '(none)'}": send application/scim+json or application/json.`,
        );
      }
    }
    next();
  });
  // Group bodies list members (a "push now" of 50,000 members is several MB); the first parser to run reads the body.
  router.use('/Groups', scimJson(GROUP_BODY_LIMIT));
  router.use(scimJson(SCIM_BODY_LIMIT));
  router.use((req, _res, next) => {
    if (req.url.includes('%00') || req.url.includes('\u0000')) {
      throw new ScimError(400, 'The URL contains a NUL character (%00), which Rollcall cannot process.', 'invalidValue');
    }
    next();
  });

  const createUser: Handler = async (req, res) => {
    const ctx = context(req);
    const input = fromScimUser(req.body);
    const { employee, view, ignoredAttributes, warnings } = await employeeService.createFromIdentityProvider(ctx, input);
    noteOutcome(res, employee.id, ignoredAttributes, warnings);
    const user = toScimUser(employee, view.names, baseUrl, view.groups);
    res.setHeader('Location', user.meta.location);
    res.setHeader('ETag', etag(employee));
    send(res, 201, user);
  };

  const getUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const projection = parseProjection(req.query, CORE_USER_SCHEMA_URN);
    const view = await employeeService.getView(ctx, id);
    if (!view) throw new ScimError(404, `No user with id "${id}" exists.`);
    res.setHeader('ETag', etag(view.employee));
    send(res, 200, applyProjection(toScimUser(view.employee, view.names, baseUrl, view.groups), projection));
  };

  const listUsers: Handler = async (req, res) => {
    const ctx = context(req);
    const query = req.query;
    const { filter, startIndex, count, sortBy, descending } = listParameters(query, SCIM_MAX_RESULTS);
    const projection = parseProjection(query, CORE_USER_SCHEMA_URN);
    const { views, totalResults } = await employeeService.list(ctx, {
      query: filter !== undefined ? userFilterToQuery(parseFilter(filter)) : undefined,
      sortBy: sortBy !== undefined ? userSortField(sortBy) : undefined,
      descending,
      startIndex,
      count,
    });
    send(res, 200, {
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults,
      startIndex,
      itemsPerPage: views.length,
      Resources: views.map((v) =>
        applyProjection(toScimUser(v.employee, v.names, baseUrl, v.groups), projection),
      ),
    });
  };

  const replaceUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    // Attributes a PUT leaves out keep their value (only explicit nulls clear): Okta PUTs back what it read and
    // must not wipe fields it does not map, such as a role assigned in Rollcall.
    const input = fromScimUser(req.body);
    noteOutcome(res, id, []);
    const { employee, view, ignoredAttributes, warnings } = await employeeService.updateFromIdentityProvider(ctx, id, input, {
      expectedVersion: ifMatchVersion(req),
    });
    noteOutcome(res, id, ignoredAttributes, warnings);
    res.setHeader('ETag', etag(employee));
    send(res, 200, toScimUser(employee, view.names, baseUrl, view.groups));
  };

  router.use(discoveryRouter({ baseUrl }));
  const patchUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const operations = parsePatchRequest(req.body);
    noteOutcome(res, isUuid(id) ? id : null, []);
    const { employee, view, ignoredAttributes, warnings } = await employeeService.patchFromIdentityProvider(
      ctx,
      id,
      (current) => {
        // groups are read-only but part of the document, so an echo of them is recognised as unchanged.
        const before = toScimUser(current.employee, current.names, baseUrl, current.groups);
        const after = applyPatch(before as unknown as Record<string, unknown>, operations);
        // Hand over only what the operations changed, so untouched attributes are neither rewritten nor reported
        // as ignored.
        return changedAttributes(fromScimUser(before), fromScimUser(after));
      },
      { expectedVersion: ifMatchVersion(req) },
    );
    noteOutcome(res, id, ignoredAttributes, warnings);
    res.setHeader('ETag', etag(employee));
    send(res, 200, toScimUser(employee, view.names, baseUrl, view.groups));
  };

  const deleteUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    noteOutcome(res, isUuid(id) ? id : null, []);
    await employeeService.remove(ctx, id, { expectedVersion: ifMatchVersion(req) });
    sendEmpty(res, 204);
  };

  router.post('/Users', createUser);
  router.get('/Users', listUsers);
  router.get('/Users/:id', getUser);
  router.put('/Users/:id', replaceUser);
  router.patch('/Users/:id', patchUser);
  router.delete('/Users/:id', deleteUser);
  router.all('/Users/:id', (req) => {
    throw new ScimError(405, `${req.method} /Users/{id} is not supported yet.`);
  });
  router.all('/Users', (req) => {
    throw new ScimError(405, `${req.method} /Users is not supported yet.`);
  });
  registerGroupRoutes(router, { baseUrl });
  router.use((req) => {
    throw new ScimError(404, `No SCIM resource at ${req.method} ${req.originalUrl.split('?')[0]}.`);
  });

  router.use(scimErrorHandler);
  return router;
}

function changedAttributes(before: IdpEmployee, after: IdpEmployee): Partial<IdpEmployee> {
  const changes: Partial<IdpEmployee> = {};
  for (const key of Object.keys(after) as (keyof IdpEmployee)[]) {
    const value = after[key];
    if (value !== before[key]) (changes as Record<string, unknown>)[key] = value === undefined ? null : value;
  }
  for (const key of Object.keys(before) as (keyof IdpEmployee)[]) {
    if (!(key in changes) && after[key] === undefined && before[key] !== undefined) {
      (changes as Record<string, unknown>)[key] = null;
    }
  }
  return changes;
}

interface OutcomeNotes {
  employeeId?: string | null;
  ignoredAttributes?: string[];
  warnings?: ProvisioningWarning[];
  scimType?: string;
  detail?: string;
}

const outcomeNotes = new WeakMap<ScimResponse, OutcomeNotes>();

function notes(res: ScimResponse): OutcomeNotes {
  let n = outcomeNotes.get(res);
  if (!n) outcomeNotes.set(res, (n = {}));
  return n;
}

/**
 * Handlers note which employee a write concerned, what the tenant's settings made them ignore, and which optional
 * values were skipped (as SCIM paths, the words the IdP admin's attribute mappings use).
 */
function noteOutcome(res: ScimResponse, employeeId: string | null, ignoredAttributes: string[], warnings: IdpWarning[] = []): void {
  Object.assign(notes(res), {
    employeeId,
    ignoredAttributes,
    warnings: warnings.map((w) => ({ attribute: scimAttribute(w.attribute), value: w.value, reason: w.reason })),
  });
}

/**
 * Records the outcome of every SCIM write and every failed SCIM request once the response is sent (successful reads
 * are not recorded), in the log of `who.tenantId`. Runs after the answer, so it never delays the IdP.
 */
function recordOutcome(
  req: ScimRequest,
  res: ScimResponse,
  log: ProvisioningLogWriter,
  who: { tenantId: string; tokenId: string | null },
): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    if (req.method === 'GET' && res.statusCode < 400) return;
    const n = notes(res);
    const body = req.body as Record<string, unknown> | undefined;
    const userName = body && typeof body === 'object' && typeof body.userName === 'string' ? body.userName : null;
    log.record({
      tenantId: who.tenantId,
      occurredAt: new Date(),
      outcome: res.statusCode >= 400 ? 'FAILURE' : n.warnings && n.warnings.length > 0 ? 'WARNING' : 'SUCCESS',
      method: req.method,
      path: req.originalUrl.split('?')[0],
      status: res.statusCode,
      scimType: n.scimType ?? null,
      detail: n.detail ?? null,
      employeeId: n.employeeId ?? null,
      userName,
      ignoredAttributes: n.ignoredAttributes ?? [],
      warnings: res.statusCode >= 400 ? [] : (n.warnings ?? []),
      durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
      requestId: req.requestId,
      tokenId: who.tokenId,
    });
  });
}

/** Every failure under /scim/v2 becomes a SCIM error body: domain errors, parser errors and unexpected faults. */
export function scimErrorHandler(error: unknown, req: ScimRequest, res: ScimResponse, _next: Router.NextFunction): void {
  let scimError: ScimError;
  const unavailable = asDatabaseUnavailable(error);
  if (error instanceof ScimError) scimError = error;
  else if (error instanceof DomainError) scimError = fromDomainError(error);
  else if (unavailable) scimError = fromDomainError(unavailable);
  else if (isBodyParserError(error)) scimError = bodyParserError(error);
  // The router could not percent-decode a path segment (`/Users/%E0%A4%A`).
  else if (error instanceof URIError) scimError = new ScimError(400, 'The URL path is not valid percent-encoded UTF-8.', 'invalidValue');
  else {
    req.log.error({ err: error, method: req.method, route: routeTemplate(req) }, 'internal error');
    scimError = new ScimError(500, `Internal error (request id ${req.requestId}); nothing was changed.`);
  }
  for (const [name, value] of Object.entries(scimError.headers)) res.setHeader(name, value);
  Object.assign(notes(res), { scimType: scimError.scimType, detail: scimError.detail });
  // requestId is an extension attribute: it lets an IdP admin's error report be matched with the server's log line.
  send(res, scimError.status, { ...scimErrorBody(scimError.status, scimError.detail, scimError.scimType), requestId: req.requestId });
}

interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string' &&
    typeof (error as BodyParserError).status === 'number';
}

function bodyParserError(error: BodyParserError): ScimError {
  switch (error.type) {
    case 'entity.parse.failed':
      return new ScimError(400, 'The request body is not valid JSON.', 'invalidSyntax');
    case 'entity.too.large':
      return new ScimError(413, `The request body is larger than ${SCIM_BODY_LIMIT} (${GROUP_BODY_LIMIT} for /Groups).`, 'tooMany');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ScimError(415, 'Send the request body as UTF-8 JSON.');
    default:
      return new ScimError(error.status >= 400 && error.status < 500 ? error.status : 400, 'The request body could not be read.', 'invalidSyntax');
  }
}
