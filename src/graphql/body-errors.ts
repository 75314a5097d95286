import type { NextFunction, Request, Response } from 'express';
import { GRAPHQL_BODY_LIMIT } from './server';

/**
 * A /graphql body the JSON parser refuses (too large, not JSON, nested too deep) never reaches Apollo. Answer it
 * as GraphQL clients expect an error, `{ errors: [{ message, extensions: { code } }] }`, with the 4xx status.
 */
export function graphqlBodyErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number' || status < 400 || status >= 500) {
    next(error);
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
  res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST', requestId: req.requestId } }] });
}
