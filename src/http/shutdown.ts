import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import { logger } from '../logging';
import { scimErrorBody } from '../scim/errors';
import type { HttpRequest } from './types';

/**
 * How long after SIGTERM an idle kept-alive connection stays open for a request its client may be sending already
 * (a load balancer still routing here): such a request is answered, with `Connection: close`, instead of meeting a
 * closed socket. Closing an idle connection always races the client's next request; this keeps that race away from
 * the moment of the signal, when a balancer has not yet taken the instance out.
 */
export const IDLE_DRAIN_MS = 2_000;
/** How long the 503s of requests still running at the end of the grace period get to reach their clients. */
const FINAL_ANSWER_MS = 1_000;
/** The Retry-After of those 503s: another instance (or this one, restarted) can take the request. */
const RETRY_AFTER_SECONDS = 1;

export interface GracefulShutdown {
  /** Call first for every request the server receives. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void;
  /**
   * Stops accepting connections; answers every request from now on with `Connection: close`; waits up to `graceMs`
   * for the requests in flight, then answers those still running 503 and closes every connection. Resolves once none
   * is left.
   */
  drain(graceMs: number): Promise<void>;
}

export function gracefulShutdown(server: http.Server): GracefulShutdown {
  const inFlight = new Map<http.ServerResponse, http.IncomingMessage>();
  let stopping = false;
  return {
    track(req, res) {
      if (stopping) res.setHeader('Connection', 'close');
      inFlight.set(res, req);
      res.once('close', () => inFlight.delete(res));
    },
    drain(graceMs) {
      stopping = true;
      for (const res of inFlight.keys()) if (!res.headersSent) res.setHeader('Connection', 'close');
      return new Promise<void>((resolve) => {
        let sweep: NodeJS.Timeout | undefined;
        const timers: NodeJS.Timeout[] = [];
        const done = () => {
          for (const timer of timers) clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        };
        // http.Server#close() would also close the idle kept-alive connections at once (Node 19+), so that a request
        // sent on one just then meets a reset: net.Server#close() only stops accepting connections, and calls back
        // once the last one is closed.
        net.Server.prototype.close.call(server, done);
        timers.push(
          setTimeout(() => {
            server.closeIdleConnections();
            sweep = setInterval(() => server.closeIdleConnections(), 100);
          }, Math.min(IDLE_DRAIN_MS, graceMs)),
          setTimeout(() => {
            const answered = [...inFlight].map(([res, req]) => answerShuttingDown(req as HttpRequest, res));
            void Promise.race([Promise.all(answered), new Promise((r) => setTimeout(r, FINAL_ANSWER_MS))]).then(() => {
              server.closeAllConnections();
              done();
            });
          }, graceMs),
        );
      });
    },
  };
}

/**
 * A request still running when the grace period ends: answered 503 (in the form of its surface) before its socket is
 * closed, so that the client knows to retry instead of seeing a reset. Whatever its handler writes afterwards is
 * dropped. Resolves once the answer is out (or the socket is gone).
 */
function answerShuttingDown(req: HttpRequest, res: http.ServerResponse): Promise<void> {
  const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
  const log = req.log ?? logger;
  if (res.headersSent) {
    // Part of the answer is out already: all that can be done is to cut it short.
    log.warn({ method: req.method }, 'shutdown: a response still being written at the end of the grace period was cut short');
    res.destroy();
    return closed;
  }
  const requestId = req.requestId ?? randomUUID();
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0].toLowerCase();
  const message = 'The server is shutting down and could not finish this request in time; retry it.';
  let type = 'application/json; charset=utf-8';
  let body: unknown = { error: 'unavailable', message, requestId };
  if (path === '/scim/v2' || path.startsWith('/scim/v2/')) {
    type = 'application/scim+json; charset=utf-8';
    body = { ...scimErrorBody(503, message), requestId };
  } else if (path === '/graphql' || path.startsWith('/graphql/')) {
    body = { errors: [{ message, extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS, requestId } }] };
  }
  const json = JSON.stringify(body);
  log.warn({ method: req.method }, 'shutdown: a request still running at the end of the grace period was answered 503');
  res.writeHead(503, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(json),
    'Retry-After': String(RETRY_AFTER_SECONDS),
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  });
  res.end(json);
  // The handler is still running: whatever it sends later must neither throw (headers sent) nor reach the socket.
  const ignore = function (this: http.ServerResponse) {
    return this;
  };
  Object.assign(res, { setHeader: ignore, appendHeader: ignore, removeHeader: ignore, writeHead: ignore, flushHeaders: ignore, end: ignore, write: () => true });
  return closed;
}
