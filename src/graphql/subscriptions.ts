import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { GraphQLError, GraphQLSchema, parse, specifiedRules, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Authenticate, AuthOutcome } from '../http/auth';
import type { HttpRequest } from '../http/types';
import { logger } from '../logging';
import type { EventFeed } from '../services/event-feed';
import { GraphQLContext } from './context';
import { checkCost, depthLimit, introspectionLimit } from './limits';
import { createLoaders } from './loaders';

/** A graphql-ws message is a small JSON document; nothing a client sends needs more. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Close code 1001 "going away": the server is shutting down (RFC 6455 §7.4.1); clients reconnect elsewhere. */
const GOING_AWAY = 1001;

/** The token of a connection_init payload: `{ authorization: 'Bearer …' }` (as Apollo Sandbox sends headers) or `{ token }`. */
function tokenHeader(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization ?? params?.token;
  if (typeof value !== 'string') return undefined;
  return /^(Bearer|Basic)\s/i.test(value) ? value : `Bearer ${value}`;
}

export interface SubscriptionServer {
  /** Give it the HTTP server's `upgrade` events: /graphql becomes a graphql-ws connection, anything else is refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every connection (1001) and stops: at shutdown, before the HTTP server drains. */
  close(): Promise<void>;
}

/**
 * GraphQL subscriptions over WebSocket with the graphql-ws protocol (what Apollo Sandbox and Apollo Client speak), at
 * /graphql on the API's own HTTP server. The token comes in `connection_init` (a browser cannot set headers on a
 * WebSocket) and is checked like an HTTP request's (scope, rate limit); the connection is refused (4403) otherwise.
 * Every operation of the connection runs in the token's tenant. Subscriptions read the change feed through `feed`.
 * Queries and mutations may come this way too: they get the same `publicUrl` (PUBLIC_URL) as over HTTP, for the URLs
 * they give out (`oauthEndpoints`, a federated client's default audience).
 */
export function subscriptionServer(schema: GraphQLSchema, authenticate: Authenticate, feed: EventFeed, publicUrl: string): SubscriptionServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const auths = new WeakMap<object, Extract<AuthOutcome, { ok: true }>>();
  const server = useServer<Record<string, unknown> | undefined>(
    {
      schema,
      onConnect: async (ctx) => {
        const req = { headers: { authorization: tokenHeader(ctx.connectionParams) }, requestId: randomUUID(), log: logger } as unknown as HttpRequest;
        try {
          const auth = await authenticate(req, { surface: 'graphql', scopes: ['admin', 'read'] });
          if (!auth.ok) return false;
          auths.set(ctx.extra.socket, auth);
          return true;
        } catch (err) {
          logger.warn({ err }, 'subscription authentication failed');
          return false;
        }
      },
      onSubscribe: (_ctx, _id, payload) => {
        // The same limits as over HTTP: depth, introspection, cost.
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document, [...specifiedRules, depthLimit, introspectionLimit]);
        if (errors.length > 0) return errors;
        const cost = checkCost(schema, document, payload.operationName ?? undefined, payload.variables ?? undefined);
        if (cost) return [cost];
      },
      context: (ctx): GraphQLContext => {
        const auth = auths.get(ctx.extra.socket)!;
        const log = logger.child({ requestId: auth.ctx.requestId, tenantId: auth.ctx.tenantId });
        return { ctx: auth.ctx, scope: auth.scope, loaders: createLoaders(auth.ctx), log, events: feed, publicUrl };
      },
      onError: (_ctx, _id, _payload, errors) => {
        for (const error of errors) if (!error.extensions?.code) logger.warn({ err: error }, 'subscription error');
      },
    },
    wss,
  );
  let closing: Promise<void> | undefined;
  return {
    upgrade(req, socket, head) {
      const path = (req.url ?? '').split('?')[0].toLowerCase();
      if (path !== '/graphql') {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close() {
      closing ??= (async () => {
        for (const client of wss.clients) client.close(GOING_AWAY, 'The server is shutting down');
        await server.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closing;
    },
  };
}
