import querystring, { ParsedUrlQuery } from 'node:querystring';
import bodyParser from 'body-parser';
import Router from 'router';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from '../http/json-depth';
import type { HttpRequest } from '../http/types';
import { RequestContext } from '../services/context';
import { ScimError } from './errors';

/**
 * Helpers every SCIM resource's handlers share: the context, query parameters, If-Match, bodies and answers.
 *
 * SCIM requests are plain Node requests and responses routed by `router` (the router Express itself uses), not
 * Express ones: Express re-prototypes every request and response it handles, which measured about 0.1 ms of server
 * CPU per request here, a third of a whole SCIM GET (docs/benchmarks.md). What handlers need from a request is below.
 */
declare module 'router' {
  interface Request extends HttpRequest {
    method: string;
    url: string;
    /** The query string, parsed as Express's default ("simple") parser does: repeated names give arrays. */
    query: ParsedUrlQuery;
    /** The parsed JSON body of POST, PUT and PATCH (see scimJson). */
    body?: unknown;
    /** Set by authentication, before any route runs. */
    scim?: RequestContext;
  }
}

export type ScimRequest = Router.Request;
export type ScimResponse = Router.Response;

export const SCIM_CONTENT_TYPE = 'application/scim+json';

export function parseQuery(url: string): ParsedUrlQuery {
  const q = url.indexOf('?');
  return q < 0 ? Object.create(null) : querystring.parse(url.slice(q + 1));
}

export function send(res: ScimResponse, status: number, body: unknown): void {
  // A conditional GET (RFC 7644 §3.14, RFC 9110 §13.1.2) of a version the client already holds: 304, no body.
  if (status === 200 && notModified(res)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', `${SCIM_CONTENT_TYPE}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

function notModified(res: ScimResponse): boolean {
  const { method, headers } = res.req;
  const etag = res.getHeader('ETag');
  const header = headers['if-none-match'];
  if ((method !== 'GET' && method !== 'HEAD') || typeof etag !== 'string' || header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** An answer without a body (204). */
export function sendEmpty(res: ScimResponse, status: number): void {
  res.statusCode = status;
  res.end();
}

export function context(req: ScimRequest): RequestContext {
  if (!req.scim) throw new Error('SCIM route reached without authentication');
  return req.scim;
}

/** Rejected promises go to the SCIM error handler (router forwards them); this keeps handlers typed. */
export type Handler = (req: ScimRequest, res: ScimResponse) => Promise<void>;

/** A query parameter given at most once. */
export function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ScimError(400, `The ${name} parameter must be given once.`, 'invalidValue');
  return value;
}

/**
 * An integer query parameter (RFC 7644 §3.4.2.4). Anything but an integer is refused rather than guessed; an integer
 * too large to represent is clamped (the callers clamp again to their own bounds: count to the page maximum,
 * startIndex to at least 1).
 */
export function integerParameter(query: Record<string, unknown>, name: string): number | undefined {
  const value = single(query, name);
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^[-+]?\d+$/.test(value.trim())) throw new ScimError(400, `${name} must be an integer, got "${value.slice(0, 100)}".`, 'invalidValue');
  const number = Number(value.trim());
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, number));
}

/** The list parameters of RFC 7644 §3.4.2, read and bounded the same way for every resource type. */
export interface ListParameters {
  filter: string | undefined;
  /** 1-based; values below 1 count as 1. */
  startIndex: number;
  /** Capped at maxResults; negative counts as 0. */
  count: number;
  sortBy: string | undefined;
  descending: boolean;
}

/** Page size when a client sends no `count`. */
export const DEFAULT_COUNT = 100;

export function listParameters(query: Record<string, unknown>, maxResults: number, defaultCount = DEFAULT_COUNT): ListParameters {
  const sortOrder = single(query, 'sortOrder')?.toLowerCase();
  if (sortOrder !== undefined && sortOrder !== 'ascending' && sortOrder !== 'descending') {
    throw new ScimError(400, `sortOrder must be "ascending" or "descending", got "${sortOrder}".`, 'invalidValue');
  }
  return {
    filter: single(query, 'filter'),
    startIndex: Math.max(1, integerParameter(query, 'startIndex') ?? 1),
    count: Math.min(maxResults, Math.max(0, integerParameter(query, 'count') ?? defaultCount)),
    sortBy: single(query, 'sortBy'),
    descending: sortOrder === 'descending',
  };
}

/**
 * The version an `If-Match` header requires (RFC 7644 §3.14), or undefined when there is none or it is `*`.
 * An ETag that is not one of ours can never match: 412.
 */
export function ifMatchVersion(req: ScimRequest): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new ScimError(412, `If-Match ${header} does not match the current version of the resource.`);
  return Number(match[1]);
}

/** The JSON body parser of SCIM requests (application/json or application/scim+json), up to `limit`. */
export function scimJson(limit: string): Router.RequestHandler {
  return bodyParser.json({
    type: ['application/json', SCIM_CONTENT_TYPE],
    limit,
    strict: false,
    // PostgreSQL cannot store NUL in text: refuse it here, before any SQL runs.
    verify: (_req, _res, buffer) => {
      if (buffer.includes('\\u0000')) {
        throw new ScimError(400, 'The request body contains a NUL character (\\u0000), which Rollcall cannot store.', 'invalidValue');
      }
      if (jsonNestsDeeperThan(buffer)) {
        throw new ScimError(400, `The request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels.`, 'invalidSyntax');
      }
    },
  });
}
