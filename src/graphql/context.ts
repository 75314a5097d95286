import { RequestContext } from '../services/context';
import { TokenScope } from '../entities/enums';
import { Logger } from '../logging';
import { Loaders } from './loaders';

/** What every resolver receives: the service context (tenant from the token, never from an argument) and loaders. */
export interface GraphQLContext {
  ctx: RequestContext;
  scope: TokenScope;
  loaders: Loaders;
  /** The request's logger (carries its request id). */
  log: Logger;
}
