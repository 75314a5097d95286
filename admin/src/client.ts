import { Client, CombinedError, cacheExchange, fetchExchange, mapExchange } from 'urql';

/** True when the server refused the token itself (revoked, expired, wrong scope), not just one operation. */
export function isAuthFailure(error: CombinedError): boolean {
  const status = error.response?.status;
  if (status === 401) return true;
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

/** A GraphQL client for one admin token; `onAuthFailure` signs the admin out when the token stops working. */
export function createClient(token: string, onAuthFailure: (message: string) => void): Client {
  return new Client({
    url: '/graphql',
    // POST only: Apollo's CSRF prevention refuses plain GETs, and POST keeps variables (search terms) out of URLs.
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` }, credentials: 'omit' }),
    exchanges: [
      mapExchange({
        onError(error) {
          if (isAuthFailure(error)) onAuthFailure('The server no longer accepts this token. Sign in again.');
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });
}

/** A readable sentence for a failed operation (network down, rate limited, ...). */
export function describeError(error: CombinedError): string {
  if (error.networkError) return `Rollcall could not be reached (${error.networkError.message}).`;
  return error.graphQLErrors.map((e) => e.message).join(' ') || error.message;
}
