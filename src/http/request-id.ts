import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse } from './types';

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

/** Every request gets an id (the caller's `X-Request-Id` when it is sane), echoed in the response and in audit rows. */
export function requestId(req: HttpRequest, res: HttpResponse): void {
  const given = req.headers['x-request-id'];
  req.requestId = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.requestId);
}
