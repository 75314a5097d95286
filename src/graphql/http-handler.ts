import { ApolloServer, BaseContext, HeaderMap } from '@apollo/server';
import type { ServerResponse } from 'node:http';
import type { HttpRequest } from '../http/types';

/** A /graphql request: a plain Node request (see graphqlRouter) with the JSON body parsed. */
export interface GraphQLHttpRequest extends HttpRequest {
  body?: unknown;
}

/**
 * Apollo Server on plain Node requests and responses, as @as-integrations/express5 does it on Express ones. /graphql
 * is routed by `router`, not Express, for the reason SCIM is (src/scim/request.ts): Express re-prototypes every
 * request and response it handles, about 0.1 ms of server CPU per request here (docs/benchmarks.md).
 */
export function apolloHandler<C extends BaseContext>(server: ApolloServer<C>, context: (req: GraphQLHttpRequest) => Promise<C>) {
  return async (req: GraphQLHttpRequest, res: ServerResponse): Promise<void> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url.indexOf('?');
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: query < 0 ? '' : req.url.slice(query), body: req.body },
      context: () => context(req),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.setHeader('Content-Length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    // Incremental delivery (@defer): not enabled in this schema, but Apollo's contract is to stream what it gives.
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
