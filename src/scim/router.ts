import express, { NextFunction, Request, Response, Router } from 'express';
import { DataSource } from 'typeorm';
import { presentedToken } from '../http/auth';
import { RequestContext } from '../services/context';
import { IdpEmployee, employeeService, referenceNames } from '../services/employee.service';
import { DomainError } from '../services/errors';
import { ProvisioningLogWriter } from '../services/provisioning-log.service';
import { tokenService } from '../services/token.service';
import { isUuid } from '../services/validation';
import { LIST_RESPONSE_SCHEMA, SCIM_MAX_RESULTS, discoveryRouter } from './discovery';
import { ScimError, fromDomainError, scimErrorBody } from './errors';
import { parseFilter } from './filter';
import { USER_PATCH_SCHEMA, applyPatch, parsePatchRequest } from './patch';
import { applyProjection, parseProjection } from './projection';
import { USER_SCHEMA, etag, fromScimUser, toScimUser } from './user-mapping';
import { userFilterToQuery, userSortField } from './user-query';

export const SCIM_CONTENT_TYPE = 'application/scim+json';
/** Page size when a client sends no `count`. */
export const DEFAULT_COUNT = 100;
/** Largest SCIM request body accepted (a group PATCH with thousands of members fits well inside). */
export const SCIM_BODY_LIMIT = '1mb';

declare module 'express-serve-static-core' {
  interface Request {
    scim?: RequestContext;
  }
}

export interface ScimRouterOptions {
  dataSource: DataSource;
  /** Where the outcome of SCIM writes and failures goes (the provisioning log). */
  provisioningLog: ProvisioningLogWriter;
  /** Public base URL of the SCIM API, e.g. http://localhost:3000/scim/v2 (for Location and meta.location). */
  baseUrl: string;
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

function context(req: Request): RequestContext {
  if (!req.scim) throw new Error('SCIM route reached without authentication');
  return req.scim;
}

/** Express 5 forwards rejected promises to the error handler; this keeps handlers typed. */
type Handler = (req: Request, res: Response) => Promise<void>;

export function scimRouter(options: ScimRouterOptions): Router {
  const { dataSource, baseUrl, provisioningLog } = options;
  const router = Router();

  // Authentication first, so that every route (known or not) answers 401 to a caller without a valid token.
  router.use(async (req, res, next) => {
    const secret = presentedToken(req);
    const token = secret ? await tokenService.authenticate(dataSource.manager, secret) : null;
    if (!token) {
      throw new ScimError(401, 'Authentication failed: send a Rollcall SCIM token as "Authorization: Bearer <token>".', undefined, {
        'WWW-Authenticate': 'Bearer realm="rollcall-scim"',
      });
    }
    if (token.scope !== 'scim') {
      throw new ScimError(403, `This token has scope "${token.scope}"; the SCIM API needs a token with scope "scim".`);
    }
    req.scim = {
      tenantId: token.tenantId,
      actor: { surface: 'scim', tokenId: token.tokenId },
      requestId: req.requestId,
      manager: dataSource.manager,
    };
    recordOutcome(req, res, provisioningLog);
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
  router.use(
    express.json({
      type: ['application/json', SCIM_CONTENT_TYPE],
      limit: SCIM_BODY_LIMIT,
      strict: false,
      // PostgreSQL cannot store NUL in text: refuse it here, before any SQL runs.
      verify: (_req, _res, buffer) => {
        if (buffer.includes('\\u0000')) {
          throw new ScimError(400, 'The request body contains a NUL character (\\u0000), which Rollcall cannot store.', 'invalidValue');
        }
      },
    }),
  );
  router.use((req, _res, next) => {
    if (req.url.includes('%00') || req.url.includes('\u0000')) {
      throw new ScimError(400, 'The URL contains a NUL character (%00), which Rollcall cannot process.', 'invalidValue');
    }
    next();
  });

  const createUser: Handler = async (req, res) => {
    const ctx = context(req);
    const input = fromScimUser(req.body);
    const { employee, ignoredAttributes } = await employeeService.createFromIdentityProvider(ctx, input);
    noteOutcome(res, employee.id, ignoredAttributes);
    const user = toScimUser(employee, await referenceNames(ctx, employee), baseUrl);
    res.setHeader('Location', user.meta.location);
    res.setHeader('ETag', etag(employee));
    send(res, 201, user);
  };

  const getUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const projection = parseProjection(req.query, USER_SCHEMA);
    const view = await employeeService.getView(ctx, id);
    if (!view) throw new ScimError(404, `No user with id "${id}" exists.`);
    res.setHeader('ETag', etag(view.employee));
    send(res, 200, applyProjection(toScimUser(view.employee, view.names, baseUrl), projection));
  };

  const listUsers: Handler = async (req, res) => {
    const ctx = context(req);
    const query = req.query as Record<string, unknown>;
    const filter = single(query, 'filter');
    const startIndex = Math.max(1, integerParameter(query, 'startIndex') ?? 1);
    const count = Math.min(SCIM_MAX_RESULTS, Math.max(0, integerParameter(query, 'count') ?? DEFAULT_COUNT));
    const sortBy = single(query, 'sortBy');
    const sortOrder = single(query, 'sortOrder')?.toLowerCase();
    if (sortOrder !== undefined && sortOrder !== 'ascending' && sortOrder !== 'descending') {
      throw new ScimError(400, `sortOrder must be "ascending" or "descending", got "${sortOrder}".`, 'invalidValue');
    }
    const projection = parseProjection(query, USER_SCHEMA);
    const { views, totalResults } = await employeeService.list(ctx, {
      query: filter !== undefined ? userFilterToQuery(parseFilter(filter)) : undefined,
      sortBy: sortBy !== undefined ? userSortField(sortBy) : undefined,
      descending: sortOrder === 'descending',
      startIndex,
      count,
    });
    send(res, 200, {
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults,
      startIndex,
      itemsPerPage: views.length,
      Resources: views.map((v) => applyProjection(toScimUser(v.employee, v.names, baseUrl), projection)),
    });
  };

  const replaceUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    if (!(await employeeService.get(ctx, id))) throw new ScimError(404, `No user with id "${id}" exists.`);
    // Attributes a PUT leaves out keep their value (only explicit nulls clear): Okta PUTs back what it read and
    // must not wipe fields it does not map, such as a role assigned in Rollcall.
    const input = fromScimUser(req.body);
    noteOutcome(res, id, []);
    const { employee, ignoredAttributes } = await employeeService.updateFromIdentityProvider(ctx, id, input, {
      expectedVersion: ifMatchVersion(req),
    });
    noteOutcome(res, id, ignoredAttributes);
    res.setHeader('ETag', etag(employee));
    send(res, 200, toScimUser(employee, await referenceNames(ctx, employee), baseUrl));
  };

  router.use(discoveryRouter({ baseUrl }));
  const patchUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const operations = parsePatchRequest(req.body);
    noteOutcome(res, isUuid(id) ? id : null, []);
    const { employee, ignoredAttributes } = await employeeService.patchFromIdentityProvider(
      ctx,
      id,
      (current) => {
        const before = toScimUser(current.employee, current.names, baseUrl);
        const after = applyPatch(before as unknown as Record<string, unknown>, operations, USER_PATCH_SCHEMA);
        // Hand over only what the operations changed, so untouched attributes are neither rewritten nor reported
        // as ignored.
        return changedAttributes(fromScimUser(before), fromScimUser(after));
      },
      { expectedVersion: ifMatchVersion(req) },
    );
    noteOutcome(res, id, ignoredAttributes);
    res.setHeader('ETag', etag(employee));
    send(res, 200, toScimUser(employee, await referenceNames(ctx, employee), baseUrl));
  };

  const deleteUser: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    noteOutcome(res, isUuid(id) ? id : null, []);
    await employeeService.remove(ctx, id, { expectedVersion: ifMatchVersion(req) });
    res.status(204).end();
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

/** A query parameter given at most once. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ScimError(400, `The ${name} parameter must be given once.`, 'invalidValue');
  return value;
}

/** An integer query parameter (RFC 7644 §3.4.2.4); anything but an integer is refused rather than guessed. */
function integerParameter(query: Record<string, unknown>, name: string): number | undefined {
  const value = single(query, name);
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^-?\d{1,15}$/.test(value.trim())) throw new ScimError(400, `${name} must be an integer, got "${value}".`, 'invalidValue');
  return Number(value.trim());
}

/**
 * The version an `If-Match` header requires (RFC 7644 §3.14), or undefined when there is none or it is `*`.
 * An ETag that is not one of ours can never match: 412.
 */
function ifMatchVersion(req: Request): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new ScimError(412, `If-Match ${header} does not match the current version of the resource.`);
  return Number(match[1]);
}

interface OutcomeNotes {
  employeeId?: string | null;
  ignoredAttributes?: string[];
  scimType?: string;
  detail?: string;
}

function notes(res: Response): OutcomeNotes {
  res.locals.provisioning ??= {};
  return res.locals.provisioning as OutcomeNotes;
}

/** Handlers note which employee a write concerned and what the tenant's settings made them ignore. */
function noteOutcome(res: Response, employeeId: string | null, ignoredAttributes: string[]): void {
  Object.assign(notes(res), { employeeId, ignoredAttributes });
}

/**
 * Records the outcome of every SCIM write and every failed SCIM request once the response is sent (successful reads
 * are not recorded). Runs after the answer, so it never delays the IdP.
 */
function recordOutcome(req: Request, res: Response, log: ProvisioningLogWriter): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const ctx = req.scim;
    if (!ctx || (req.method === 'GET' && res.statusCode < 400)) return;
    const n = notes(res);
    const body = req.body as Record<string, unknown> | undefined;
    const userName = body && typeof body === 'object' && typeof body.userName === 'string' ? body.userName : null;
    log.record({
      tenantId: ctx.tenantId,
      occurredAt: new Date(),
      outcome: res.statusCode < 400 ? 'SUCCESS' : 'FAILURE',
      method: req.method,
      path: req.originalUrl.split('?')[0],
      status: res.statusCode,
      scimType: n.scimType ?? null,
      detail: n.detail ?? null,
      employeeId: n.employeeId ?? null,
      userName,
      ignoredAttributes: n.ignoredAttributes ?? [],
      durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
      requestId: req.requestId,
      tokenId: ctx.actor.tokenId,
    });
  });
}

/** Every failure under /scim/v2 becomes a SCIM error body: domain errors, parser errors and unexpected faults. */
export function scimErrorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  let scimError: ScimError;
  if (error instanceof ScimError) scimError = error;
  else if (error instanceof DomainError) scimError = fromDomainError(error);
  else if (isBodyParserError(error)) scimError = bodyParserError(error);
  else {
    console.error(`[scim] ${req.requestId} ${req.method} ${req.path} failed:`, error);
    scimError = new ScimError(500, `Internal error (request id ${req.requestId}); nothing was changed.`);
  }
  for (const [name, value] of Object.entries(scimError.headers)) res.setHeader(name, value);
  Object.assign(notes(res), { scimType: scimError.scimType, detail: scimError.detail });
  send(res, scimError.status, scimErrorBody(scimError.status, scimError.detail, scimError.scimType));
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
      return new ScimError(413, `The request body is larger than ${SCIM_BODY_LIMIT}.`, 'tooMany');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new ScimError(415, 'Send the request body as UTF-8 JSON.');
    default:
      return new ScimError(error.status >= 400 && error.status < 500 ? error.status : 400, 'The request body could not be read.', 'invalidSyntax');
  }
}
