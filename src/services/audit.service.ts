import { SelectQueryBuilder } from 'typeorm';
import { AuditEvent } from '../entities';
import { AuditChanges } from '../entities/audit-event.entity';
import { EMPLOYEE_REFERENCE_LIST, ReferenceKind } from './references';
import { RequestContext } from './context';
import { KEYSET_TIME } from './keyset';
import * as sql from './sql';
import { isUuid } from './validation';

export interface AuditRecord {
  action: string;
  targetType: string;
  targetId: string | null;
  changes?: AuditChanges;
}

/**
 * Audited fields whose values are database ids of the tenant's named things, and which kind each names: employee
 * fields, template presets and the tenant's default role. Clients are shown the names, since an id means nothing
 * to an admin; a field not listed here is never resolved to a name.
 */
export const AUDIT_REFERENCES: Readonly<Record<string, ReferenceKind>> = {
  ...Object.fromEntries(EMPLOYEE_REFERENCE_LIST.map(({ field, kind }) => [field, kind])),
  defaultRoleId: 'role',
};
export type AuditReferenceKind = ReferenceKind;

/** The kind of thing an audited field's value names, or null for a field holding a plain value. */
export function auditReferenceKind(field: string): AuditReferenceKind | null {
  return Object.hasOwn(AUDIT_REFERENCES, field) ? AUDIT_REFERENCES[field] : null;
}

/** Where a log row sits in a time-ordered list: its timestamp at full precision, then its id. */
export interface LogPosition {
  occurredAt: string;
  id: string;
}

/**
 * One page of a time-ordered log, newest first, with keyset paging on (occurred_at, id) and the exact total. Shared
 * by the audit log and the provisioning log; `qb` already holds the tenant and filter conditions for `alias`.
 */
export async function newestFirstPage<T extends { id: string }>(
  ctx: RequestContext,
  qb: SelectQueryBuilder<T>,
  alias: string,
  options: { first: number; after?: LogPosition },
): Promise<{ events: T[]; positions: LogPosition[]; hasNextPage: boolean; totalCount: number }> {
  // The total is counted with its values written in (sql.COUNT_PLAN), as every count is: a generic plan of a log
  // count beside a large analyzed tenant read the whole table for a new tenant's few rows (test/query-plans.test.ts).
  const [countSql, countParams] = qb.clone().select('count(*)', 'n').orderBy().getQueryAndParameters();
  const totalCount = Number((await sql.rows<{ n: string }>(ctx, countSql, countParams, sql.COUNT_PLAN))[0].n);
  if (options.after) {
    qb.andWhere(`(${alias}.occurred_at, ${alias}.id) < (:afterTime${KEYSET_TIME.cast}, :afterId::uuid)`, {
      afterTime: options.after.occurredAt,
      afterId: options.after.id,
    });
  }
  const { entities, raw } = await qb
    .addSelect(KEYSET_TIME.text(`${alias}.occurred_at`), 'position_time')
    .orderBy(`${alias}.occurred_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .take(options.first + 1)
    .getRawAndEntities<Record<string, string>>();
  const times = new Map(raw.map((r) => [r[`${alias}_id`], r.position_time]));
  const events = entities.slice(0, options.first);
  return {
    events,
    positions: events.map((e) => ({ occurredAt: times.get(e.id)!, id: e.id })),
    hasNextPage: entities.length > options.first,
    totalCount,
  };
}

/** What an audit row's actor id names: an access token, or an OAuth client (whose access tokens act as it). */
export interface ActorName {
  kind: 'access_token' | 'oauth_client';
  name: string;
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

  /**
   * Newest first, optionally for one target (e.g. `employee` and its id), with the exact total. Keyset paging on
   * (occurred_at, id); `positions[i]` is where `events[i]` sits, to pass back as `after`.
   */
  async list(
    ctx: RequestContext,
    options: { targetType?: string; targetId?: string; first: number; after?: LogPosition },
  ): Promise<{ events: AuditEvent[]; positions: LogPosition[]; hasNextPage: boolean; totalCount: number }> {
    const qb = ctx.manager.createQueryBuilder(AuditEvent, 'a').where('a.tenant_id = :tenantId', { tenantId: ctx.tenantId });
    if (options.targetType !== undefined) qb.andWhere('a.target_type = :targetType', { targetType: options.targetType });
    if (options.targetId !== undefined) qb.andWhere('a.target_id = :targetId', { targetId: options.targetId });
    return newestFirstPage(ctx, qb, 'a', options);
  },

  /** One audit row of the caller's tenant by id, or null. */
  async get(ctx: RequestContext, id: string): Promise<AuditEvent | null> {
    if (!isUuid(id)) return null;
    return ctx.manager.findOneBy(AuditEvent, { tenantId: ctx.tenantId, id });
  },

  /** The access tokens and OAuth clients of the tenant among `ids`, with their current names. */
  async actorNames(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, ActorName>> {
    const uuids = ids.filter(isUuid);
    if (uuids.length === 0) return new Map();
    const rows = await sql.rows<{ id: string; kind: ActorName['kind']; name: string }>(
      ctx,
      `SELECT id, 'access_token' AS kind, name FROM access_tokens WHERE tenant_id = $1 AND id = ANY($2::uuid[])
       UNION ALL
       SELECT id, 'oauth_client' AS kind, name FROM oauth_clients WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [ctx.tenantId, uuids],
    );
    return new Map(rows.map((r) => [r.id, { kind: r.kind, name: r.name }]));
  },

  /**
   * Who created each of `targetIds` (of `targetType`, e.g. `group`): the actor id (access token or OAuth client) of
   * its `<targetType>.created` row, or absent when none recorded one (the command line, the system). One statement
   * for a page of targets, on ix_audit_events_tenant_target.
   */
  async creators(ctx: RequestContext, targetType: string, targetIds: readonly string[]): Promise<Map<string, string>> {
    const uuids = targetIds.filter(isUuid);
    if (uuids.length === 0) return new Map();
    const rows = await sql.rows<{ target_id: string; actor_token_id: string }>(
      ctx,
      `SELECT DISTINCT ON (target_id) target_id, actor_token_id FROM audit_events
        WHERE tenant_id = $1 AND target_type = $2 AND target_id = ANY($3::uuid[]) AND action = $4 AND actor_token_id IS NOT NULL
        ORDER BY target_id, occurred_at`,
      [ctx.tenantId, targetType, uuids, `${targetType}.created`],
    );
    return new Map(rows.map((r) => [r.target_id, r.actor_token_id]));
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

/** The columns of an audit row that a write statement fills, by property. The one place the column list is written. */
const AUDIT_ROW_COLUMNS = {
  tenantId: 'tenant_id',
  surface: 'actor_surface',
  tokenId: 'actor_token_id',
  action: 'action',
  targetType: 'target_type',
  targetId: 'target_id',
  changes: 'changes',
  requestId: 'request_id',
} as const;

/**
 * `INSERT INTO audit_events (…) SELECT … <from>` for statements that write a change and its audit rows in one round
 * trip (a CTE `audit AS (…)` beside the write): `values` holds each column's SQL expression, typed so that none can be
 * left out. auditService.record covers writes that run their own statements.
 */
export function auditRowsSql(values: Record<keyof typeof AUDIT_ROW_COLUMNS, string>, from: string): string {
  const properties = Object.keys(AUDIT_ROW_COLUMNS) as (keyof typeof AUDIT_ROW_COLUMNS)[];
  return `INSERT INTO audit_events (${properties.map((p) => AUDIT_ROW_COLUMNS[p]).join(', ')})
      SELECT ${properties.map((p) => values[p]).join(', ')} ${from}`;
}
