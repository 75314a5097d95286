// Part of the employee service (src/services/employee.service.ts is its facade); see docs/architecture.md.
import { RequestContext, inTransaction } from '../context';
import { ContinuationCache, ListCountCache, employeeListGenerations } from '../continuation-cache';

/** What SCIM list walks remember (page positions and totals), kept to the tenant's write generation. */
export const continuations = new ContinuationCache(employeeListGenerations);
export const counts = new ListCountCache(employeeListGenerations);
export const countsInFlight = new Map<string, { generation: number; count: Promise<number> }>();

/**
 * inTransaction for employee writes, which invalidate the lists' caches where they write: that is before the commit,
 * and a page read in between (which cannot see the write yet) would be remembered as current. Invalidating again once
 * the transaction has ended makes such a page stale too. (Inside a caller's transaction this is still before its
 * commit; no caller does that today.)
 */
export async function listedWriteTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  const result = await inTransaction(ctx, work);
  counts.invalidate(ctx.tenantId);
  return result;
}
