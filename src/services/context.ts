import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ActorSurface } from '../entities/enums';

export interface Actor {
  surface: ActorSurface;
  /**
   * The access token that authenticated the request, or for an OAuth access token its OAuth client's id; null for the
   * CLI and the system itself.
   */
  tokenId: string | null;
}

/**
 * What every service method receives first: whose data (tenant), who acts (for the ownership rule and the audit
 * log), which request (for logs and audit), and the entity manager to use (bound to a transaction when inside one).
 */
export interface RequestContext {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly requestId: string;
  readonly manager: EntityManager;
}

export function createContext(
  dataSource: DataSource,
  tenantId: string,
  actor: Actor,
  requestId: string = randomUUID(),
): RequestContext {
  return { tenantId, actor, requestId, manager: dataSource.manager };
}

/**
 * Runs `work` in one transaction: the existing one when the context is already inside a transaction, else a new one.
 * Everything a service writes for one operation (the change and its audit row) commits or rolls back together.
 */
export async function inTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  if (ctx.manager.queryRunner?.isTransactionActive) return work(ctx);
  return ctx.manager.transaction((manager) => work({ ...ctx, manager }));
}
