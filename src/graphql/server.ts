import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import bodyParser from 'body-parser';
import Router from 'router';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DataSource } from 'typeorm';
import { Config } from '../config';
import { Access, authenticator } from '../http/auth';
import { refuseDeepJson } from '../http/json-depth';
import { RateLimiter } from '../http/rate-limit';
import { asDatabaseUnavailable } from '../services/errors';
import { GRAPHQL_BODY_LIMIT, graphqlBodyErrors } from './body-errors';
import { GraphQLContext } from './context';
import { GraphQLHttpRequest, apolloHandler } from './http-handler';
import { SERVICE_UNAVAILABLE_HTTP, fromAuthRefusal, serviceUnavailable } from './errors';
import { createLoaders } from './loaders';
import { checkCost, depthLimit, introspectionLimit } from './limits';
import { createSchema } from './schema';
import { SubscriptionServer, subscriptionServer } from './subscriptions';
import type { EventFeed } from '../services/event-feed';

/** Codes that are safe to show as they are; anything else is masked outside development. */
const CLIENT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
]);

/**
 * Errors of the context function (authentication, rate limit) are answered by Apollo before any plugin runs, so the
 * request id is added (and an internal fault logged) here.
 */
function withRequestId(context: (req: GraphQLHttpRequest) => Promise<GraphQLContext>) {
  return async (req: GraphQLHttpRequest): Promise<GraphQLContext> => {
    try {
      return await context(req);
    } catch (error) {
      if (!(error instanceof GraphQLError)) {
        req.log.error({ err: error }, 'internal error');
        throw new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: req.requestId } });
      }
      error.extensions.requestId = req.requestId;
      throw error;
    }
  };
}

const GRAPHQL_ACCESS: Access = { surface: 'graphql', scopes: ['admin', 'read'] };

/**
 * Apollo refuses some requests with a GraphQLError that has an HTTP status but no code (an APQ hash that does not
 * match its query): a client's mistake, answered BAD_REQUEST with a clear message rather than masked as internal.
 */
function uncodedRequestError(error: unknown): GraphQLError | undefined {
  if (!(error instanceof GraphQLError) || error.extensions?.code !== undefined || error.path) return undefined;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return error;
}

const APQ_MISMATCH = 'provided sha does not match query';

function isClientError(error: GraphQLError): boolean {
  const original = unwrapResolverError(error);
  const code = error.extensions?.code ?? (original instanceof GraphQLError ? original.extensions?.code : undefined);
  return (typeof code === 'string' && CLIENT_CODES.has(code)) || uncodedRequestError(original) !== undefined;
}

/** graphql-js's "Did you mean …?" ends a message; without introspection it would tell the schema's names. */
function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const message = formatted.message.replace(/ ?Did you mean [\s\S]*$/, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}

/** The error as the client may see it, when it is the client's mistake (else undefined: internal or unavailable). */
function clientError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | undefined {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_CODES.has(code)) return formatted;
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError && original.extensions?.code && CLIENT_CODES.has(String(original.extensions.code))) return formatted;
  const request = uncodedRequestError(original);
  if (request) {
    const message = request.message === APQ_MISMATCH ? 'The persisted query\'s sha256Hash does not match the query.' : request.message;
    return { ...formatted, message, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
  }
  return undefined;
}

export async function graphqlRouter(config: Config, dataSource: DataSource, rateLimiter: RateLimiter, events: EventFeed): Promise<{
  /** Answers /graphql (and paths under it); anything else goes to `next`. */
  router: Router.Router;
  /** GraphQL subscriptions over WebSocket at /graphql (see subscriptions.ts). */
  subscriptions: SubscriptionServer;
  stop: () => Promise<void>;
}> {
  const schema = await createSchema();
  const server = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.graphqlIntrospection,
    // Batched HTTP requests would multiply the cost limits; one operation per request.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT (finish in-flight requests, then stop Apollo, then the pool); Apollo's own handler
    // would re-raise the signal and kill the process mid-shutdown.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimit, introspectionLimit],
    plugins: [
      config.graphqlSandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of admin data; without this Apollo wraps every field resolver to collect cache hints, which
      // cost a page of 100 employees measurable CPU.
      ApolloServerPluginCacheControlDisabled(),
      {
        // A resolver that lost the database throws the driver's error; the answer becomes 503 with Retry-After
        // (formatError below gives each such error the SERVICE_UNAVAILABLE code).
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, response }) {
              if (errors.some((error) => asDatabaseUnavailable(unwrapResolverError(error)))) {
                response.http.status = SERVICE_UNAVAILABLE_HTTP.status;
                for (const [name, value] of SERVICE_UNAVAILABLE_HTTP.headers) response.http.headers.set(name, value);
              }
            },
          };
        },
      },
      {
        // Cost depends on variables (`first`), so it is checked once the operation is resolved, before execution.
        async requestDidStart() {
          return {
            async didResolveOperation({ request, document, operation }) {
              // Subscriptions run over WebSocket (subscriptions.ts); over HTTP, execution would fail as an internal error.
              if (operation?.operation === 'subscription') {
                throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws protocol) at /graphql, not over HTTP POST.', {
                  extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
                });
              }
              const error = checkCost(schema, document, request.operationName ?? undefined, request.variables);
              if (error) throw error;
            },
          };
        },
      },
      {
        // Internal errors are logged with the request's id and stack; every error the client sees carries the id.
        async requestDidStart() {
          return {
            async didEncounterErrors({ contextValue, errors }) {
              for (const error of errors) {
                if (!isClientError(error)) contextValue.log.error({ err: unwrapResolverError(error), path: error.path }, 'internal error');
              }
            },
            async willSendResponse({ contextValue, response }) {
              if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
              const requestId = contextValue.ctx.requestId;
              response.body.singleResult.errors = response.body.singleResult.errors.map((e) => ({ ...e, extensions: { ...e.extensions, requestId } }));
            },
          };
        },
      },
    ],
    formatError: (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
      const shown = clientError(formatted, error);
      if (shown) return config.graphqlIntrospection ? shown : withoutSuggestions(shown);
      const original = unwrapResolverError(error);
      const unavailable = asDatabaseUnavailable(original);
      if (unavailable) {
        const { message, extensions } = serviceUnavailable(unavailable.message);
        return { message, extensions: { code: extensions.code, retryAfterSeconds: extensions.retryAfterSeconds }, path: formatted.path };
      }
      // Logged with its request id by the plugin above (or the context function); the client gets only the id.
      const requestId = formatted.extensions?.requestId;
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) }, path: formatted.path };
    },
  });
  await server.start();
  const authenticate = authenticator(dataSource, rateLimiter);

  const handler = apolloHandler(
    server,
    withRequestId(async (req): Promise<GraphQLContext> => {
      const auth = await authenticate(req, GRAPHQL_ACCESS).catch((error: unknown) => {
        // Thrown from the context, only a GraphQLError keeps its code and HTTP status (else Apollo answers 500).
        const unavailable = asDatabaseUnavailable(error);
        throw unavailable ? serviceUnavailable(unavailable.message) : error;
      });
      if (!auth.ok) throw fromAuthRefusal(auth.refusal);
      return { ctx: auth.ctx, scope: auth.scope, loaders: createLoaders(auth.ctx), log: req.log, publicUrl: config.publicUrl };
    }),
  );
  const router = new Router();
  router.use('/graphql', bodyParser.json({ limit: GRAPHQL_BODY_LIMIT, verify: refuseDeepJson }), handler);
  router.use('/graphql', graphqlBodyErrors);
  const subscriptions = subscriptionServer(schema, authenticate, events, config.publicUrl);
  return {
    router,
    subscriptions,
    stop: async () => {
      await subscriptions.close();
      await server.stop();
    },
  };
}
