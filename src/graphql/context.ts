import { RequestContext } from '../services/context';
import { TokenScope } from '../entities/enums';
import { Logger } from '../logging';
import type { EventFeed } from '../services/event-feed';
import { Loaders } from './loaders';

/** What every resolver receives: the service context (tenant from the token, never from an argument) and loaders. */
export interface GraphQLContext {
  ctx: RequestContext;
  scope: TokenScope;
  loaders: Loaders;
  /** The request's logger (carries its request id). */
  log: Logger;
  /** The server's public address (PUBLIC_URL), over HTTP and WebSocket: for the URLs an identity provider is given. */
  publicUrl: string;
  /** The change feed, on WebSocket connections only (GraphQL subscriptions). */
  events?: EventFeed;
}
