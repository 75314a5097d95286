import type { ServerResponse } from 'node:http';
import type { HttpRequest } from '../http/types';

export const GRAPHQL_BODY_LIMIT = '1mb';

/**
 * A /graphql body the JSON parser refuses (too large, not JSON, nested too deep) never reaches Apollo. Answer it
 * as GraphQL clients expect an error, `{ errors: [{ message, extensions: { code } }] }`, with the 4xx status.
 * Anything else that fails before Apollo answers (Apollo answers its own errors) is an internal error, answered the
 * same way with 500 and logged with the request id.
 */
export function graphqlBodyErrors(error: unknown, req: HttpRequest, res: ServerResponse, _next: (error?: unknown) => void): void {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number' || status < 400 || status >= 500) {
    graphqlInternalError(error, req, res);
    return;
  }
  const message =
    type === 'entity.too.large'
      ? `The request body is larger than ${GRAPHQL_BODY_LIMIT}.`
      : type === 'entity.parse.failed'
        ? 'The request body is not valid JSON.'
        : error instanceof Error && type === 'entity.too.deep'
          ? error.message
          : 'The request body could not be read; send UTF-8 JSON.';
  sendErrors(res, status, message, 'BAD_REQUEST', req.requestId);
}

/** A failure outside Apollo: logged with the request id; the client gets the id and INTERNAL_SERVER_ERROR. */
export function graphqlInternalError(error: unknown, req: HttpRequest, res: ServerResponse): void {
  req.log.error({ err: error, method: req.method, route: '/graphql' }, 'internal error');
  if (res.headersSent) res.destroy();
  else sendErrors(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR', req.requestId);
}

function sendErrors(res: ServerResponse, status: number, message: string, code: string, requestId: string): void {
  const json = JSON.stringify({ errors: [{ message, extensions: { code, requestId } }] });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}
