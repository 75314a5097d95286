import { RequestContext } from '../services/context';
import { TokenScope } from '../entities/enums';
import { Loaders } from './loaders';

/** What every resolver receives: the service context (tenant from the token, never from an argument) and loaders. */
export interface GraphQLContext {
  ctx: RequestContext;
  scope: TokenScope;
  loaders: Loaders;
}
