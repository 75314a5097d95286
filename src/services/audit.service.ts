import { AuditEvent } from '../entities';
import { AuditChanges } from '../entities/audit-event.entity';
import { RequestContext } from './context';

export interface AuditRecord {
  action: string;
  targetType: string;
  targetId: string | null;
  changes?: AuditChanges;
}

/** Writes audit rows through the context's manager, i.e. inside the transaction of the change they describe. */
export const auditService = {
  async record(ctx: RequestContext, record: AuditRecord): Promise<void> {
    await ctx.manager.insert(AuditEvent, {
      tenantId: ctx.tenantId,
      actorSurface: ctx.actor.surface,
      actorTokenId: ctx.actor.tokenId,
      action: record.action,
      targetType: record.targetType,
      targetId: record.targetId,
      changes: (record.changes ?? {}) as AuditEvent['changes'] & object,
      requestId: ctx.requestId,
    });
  },

  async listForTarget(ctx: RequestContext, targetType: string, targetId: string): Promise<AuditEvent[]> {
    return ctx.manager.find(AuditEvent, {
      where: { tenantId: ctx.tenantId, targetType, targetId },
      order: { occurredAt: 'ASC' },
    });
  },
};

/** The `{ field: { from, to } }` diff between two versions of a row, for the fields listed. */
export function diff<T extends object>(before: T | null, after: T, fields: readonly (keyof T & string)[]): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of fields) {
    const from = before ? (before[field] ?? null) : null;
    const to = after[field] ?? null;
    if (from !== to) changes[field] = { from, to };
  }
  return changes;
}
